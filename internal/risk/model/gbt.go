package model

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/shiliantong/shiliantong/internal/risk/features"
)

// Node is a node of a regression tree: a split (go left when x[F] <= T)
// or, when F < 0, a leaf adding V to the margin.
type Node struct {
	F int     `json:"f"`
	T float64 `json:"t,omitempty"`
	L int32   `json:"l,omitempty"`
	R int32   `json:"r,omitempty"`
	V float64 `json:"v,omitempty"`
}

// Tree is a regression tree; its root is Nodes[0].
type Tree struct {
	Nodes []Node `json:"nodes"`
}

func (t *Tree) eval(x []float64) float64 {
	n := &t.Nodes[0]
	for n.F >= 0 {
		if x[n.F] <= n.T {
			n = &t.Nodes[n.L]
		} else {
			n = &t.Nodes[n.R]
		}
	}
	return n.V
}

// GBT is a gradient-boosted ensemble of trees for the log-odds of fraud.
type GBT struct {
	Base  float64 `json:"base"`
	Trees []Tree  `json:"trees"`
	// Gain is each feature's share of the total split gain (informative).
	Gain map[string]float64 `json:"gain,omitempty"`
}

// Margin is the log-odds of x.
func (g *GBT) Margin(x []float64) float64 {
	m := g.Base
	for i := range g.Trees {
		m += g.Trees[i].eval(x)
	}
	return m
}

// GBTParams are the boosting hyperparameters.
type GBTParams struct {
	Trees        int     `json:"trees"`
	Depth        int     `json:"depth"`
	LearningRate float64 `json:"learning_rate"`
	Lambda       float64 `json:"lambda"`         // L2 on leaf values
	MinHessian   float64 `json:"min_hessian"`    // per child
	Bins         int     `json:"bins"`           // at most 255
	Subsample    float64 `json:"subsample"`      // rows per tree
	ColSample    float64 `json:"col_sample"`     // features per tree
	MinGain      float64 `json:"min_gain"`       // of a split
	Seed         uint64  `json:"seed,omitempty"` // for the subsamples
}

// DefaultGBTParams are small and fast.
func DefaultGBTParams() GBTParams {
	return GBTParams{Trees: 150, Depth: 4, LearningRate: 0.1, Lambda: 1, MinHessian: 1, Bins: 64, Subsample: 0.8, ColSample: 0.8, MinGain: 1e-3}
}

func sigmoid(m float64) float64 { return 1 / (1 + math.Exp(-m)) }

// trainGBT fits trees to rows x (row-major, nf features each) with labels
// y and weights w, by Newton boosting of the logistic loss on histograms.
func trainGBT(x []float64, nf int, y []bool, w []float64, p GBTParams) *GBT {
	n := len(y)
	edges := binEdges(x, nf, n, p.Bins)
	bx := make([]uint8, n*nf) // column-major bins
	for f := range nf {
		for i := range n {
			bx[f*n+i] = uint8(sort.SearchFloat64s(edges[f], x[i*nf+f]))
		}
	}
	var pos, tot float64
	for i := range n {
		tot += w[i]
		if y[i] {
			pos += w[i]
		}
	}
	prior := math.Min(math.Max(pos/tot, 1e-6), 1-1e-6)
	m := &GBT{Base: math.Log(prior / (1 - prior))}
	gain := make([]float64, nf)
	margin := make([]float64, n)
	for i := range margin {
		margin[i] = m.Base
	}
	gr := make([]float64, n)
	he := make([]float64, n)
	r := rand.New(rand.NewPCG(p.Seed, 0x9b7))
	rows := make([]int32, 0, n)
	feats := make([]int, 0, nf)
	hist := make([]float64, nf*256*2)
	for range p.Trees {
		for i := range n {
			q := sigmoid(margin[i])
			yi := 0.0
			if y[i] {
				yi = 1
			}
			gr[i] = w[i] * (q - yi)
			he[i] = w[i] * math.Max(q*(1-q), 1e-6)
		}
		rows = rows[:0]
		for i := range n {
			if r.Float64() < p.Subsample {
				rows = append(rows, int32(i))
			}
		}
		feats = feats[:0]
		for f := range nf {
			if r.Float64() < p.ColSample {
				feats = append(feats, f)
			}
		}
		if len(feats) == 0 {
			feats = append(feats, r.IntN(nf))
		}
		t := Tree{Nodes: []Node{{F: -1}}}
		type task struct {
			node  int
			rows  []int32
			depth int
		}
		queue := []task{{0, rows, 0}}
		for len(queue) > 0 {
			tk := queue[0]
			queue = queue[1:]
			var G, H float64
			for _, i := range tk.rows {
				G += gr[i]
				H += he[i]
			}
			leaf := -G / (H + p.Lambda) * p.LearningRate
			if tk.depth >= p.Depth || H < 2*p.MinHessian {
				t.Nodes[tk.node] = Node{F: -1, V: leaf}
				continue
			}
			clear(hist)
			for _, f := range feats {
				col := bx[f*n : (f+1)*n]
				h := hist[f*512 : (f+1)*512]
				for _, i := range tk.rows {
					b := int(col[i]) * 2
					h[b] += gr[i]
					h[b+1] += he[i]
				}
			}
			parent := G * G / (H + p.Lambda)
			bestGain, bestF, bestB := p.MinGain, -1, 0
			for _, f := range feats {
				h := hist[f*512 : (f+1)*512]
				var gl, hl float64
				for b := 0; b < len(edges[f]); b++ { // left: bins 0..b
					gl += h[2*b]
					hl += h[2*b+1]
					hr := H - hl
					if hl < p.MinHessian || hr < p.MinHessian {
						continue
					}
					gR := G - gl
					gain := gl*gl/(hl+p.Lambda) + gR*gR/(hr+p.Lambda) - parent
					if gain > bestGain {
						bestGain, bestF, bestB = gain, f, b
					}
				}
			}
			if bestF < 0 {
				t.Nodes[tk.node] = Node{F: -1, V: leaf}
				continue
			}
			gain[bestF] += bestGain
			col := bx[bestF*n : (bestF+1)*n]
			var left, right []int32
			for _, i := range tk.rows {
				if int(col[i]) <= bestB {
					left = append(left, i)
				} else {
					right = append(right, i)
				}
			}
			l, rr := len(t.Nodes), len(t.Nodes)+1
			t.Nodes = append(t.Nodes, Node{F: -1}, Node{F: -1})
			t.Nodes[tk.node] = Node{F: bestF, T: edges[bestF][bestB], L: int32(l), R: int32(rr)}
			queue = append(queue, task{l, left, tk.depth + 1}, task{rr, right, tk.depth + 1})
		}
		for i := range n {
			margin[i] += t.eval(x[i*nf : (i+1)*nf])
		}
		m.Trees = append(m.Trees, t)
	}
	var total float64
	for _, v := range gain {
		total += v
	}
	m.Gain = map[string]float64{}
	for f, v := range gain {
		if v > 0 {
			m.Gain[features.Names[f]] = math.Round(v/total*1e4) / 1e4
		}
	}
	return m
}

// binEdges returns, per feature, up to bins-1 cut points at quantiles of
// the values (midpoints between distinct values).
func binEdges(x []float64, nf, n, bins int) [][]float64 {
	bins = min(max(bins, 2), 255)
	edges := make([][]float64, nf)
	step := max(1, n/20000) // quantiles from at most about 20k rows
	vals := make([]float64, 0, n/step+1)
	for f := range nf {
		vals = vals[:0]
		for i := 0; i < n; i += step {
			vals = append(vals, x[i*nf+f])
		}
		slices.Sort(vals)
		vals = slices.Compact(vals)
		var e []float64
		if len(vals) <= bins {
			for i := 0; i+1 < len(vals); i++ {
				e = append(e, (vals[i]+vals[i+1])/2)
			}
		} else {
			for k := 1; k < bins; k++ {
				i := k * len(vals) / bins
				c := (vals[i-1] + vals[i]) / 2
				if len(e) == 0 || c > e[len(e)-1] {
					e = append(e, c)
				}
			}
		}
		edges[f] = e
	}
	return edges
}
