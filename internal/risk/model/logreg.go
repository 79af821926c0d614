package model

import (
	"errors"
	"math"
)

// LogReg is a logistic regression on standardised features.
type LogReg struct {
	Mean  []float64 `json:"mean"`
	Scale []float64 `json:"scale"`
	W     []float64 `json:"w"`
	B     float64   `json:"b"`
}

// Margin is the log-odds of x.
func (l *LogReg) Margin(x []float64) float64 {
	m := l.B
	for i, w := range l.W {
		m += w * (x[i] - l.Mean[i]) / l.Scale[i]
	}
	return m
}

// trainLogReg fits by Newton's method (iteratively reweighted least
// squares) with an L2 penalty lambda on the weights.
func trainLogReg(x []float64, nf int, y []bool, w []float64, lambda float64, iters int) (*LogReg, error) {
	n := len(y)
	l := &LogReg{Mean: make([]float64, nf), Scale: make([]float64, nf), W: make([]float64, nf)}
	var tot float64
	for i := range n {
		tot += w[i]
		for f := range nf {
			l.Mean[f] += w[i] * x[i*nf+f]
		}
	}
	for f := range nf {
		l.Mean[f] /= tot
	}
	for i := range n {
		for f := range nf {
			d := x[i*nf+f] - l.Mean[f]
			l.Scale[f] += w[i] * d * d
		}
	}
	for f := range nf {
		l.Scale[f] = math.Sqrt(l.Scale[f] / tot)
		if l.Scale[f] < 1e-9 {
			l.Scale[f] = 1
		}
	}
	d := nf + 1 // weights then the bias
	z := make([]float64, d)
	for range iters {
		g := make([]float64, d)
		h := make([]float64, d*d)
		for i := range n {
			z[nf] = 1
			for f := range nf {
				z[f] = (x[i*nf+f] - l.Mean[f]) / l.Scale[f]
			}
			q := sigmoid(l.margin(z))
			yi := 0.0
			if y[i] {
				yi = 1
			}
			gi, hi := w[i]*(q-yi), w[i]*math.Max(q*(1-q), 1e-9)
			for a := range d {
				g[a] += gi * z[a]
				za := hi * z[a]
				row := h[a*d:]
				for b := 0; b <= a; b++ {
					row[b] += za * z[b]
				}
			}
		}
		for a := range nf {
			g[a] += lambda * l.W[a]
			h[a*d+a] += lambda
		}
		h[nf*d+nf] += 1e-6
		for a := range d {
			for b := 0; b < a; b++ {
				h[b*d+a] = h[a*d+b]
			}
		}
		step, err := solve(h, g, d)
		if err != nil {
			return nil, err
		}
		var change float64
		for f := range nf {
			l.W[f] -= step[f]
			change = math.Max(change, math.Abs(step[f]))
		}
		l.B -= step[nf]
		if change < 1e-6 {
			break
		}
	}
	return l, nil
}

func (l *LogReg) margin(z []float64) float64 {
	m := l.B
	for f, w := range l.W {
		m += w * z[f]
	}
	return m
}

// solve solves a x = b for a symmetric positive-definite a (n×n,
// row-major) by Cholesky decomposition.
func solve(a, b []float64, n int) ([]float64, error) {
	c := make([]float64, n*n)
	for i := range n {
		for j := 0; j <= i; j++ {
			s := a[i*n+j]
			for k := range j {
				s -= c[i*n+k] * c[j*n+k]
			}
			if i == j {
				if s <= 0 {
					return nil, errors.New("logistic regression: the Hessian is not positive definite")
				}
				c[i*n+i] = math.Sqrt(s)
			} else {
				c[i*n+j] = s / c[j*n+j]
			}
		}
	}
	y := make([]float64, n)
	for i := range n {
		s := b[i]
		for k := range i {
			s -= c[i*n+k] * y[k]
		}
		y[i] = s / c[i*n+i]
	}
	x := make([]float64, n)
	for i := n - 1; i >= 0; i-- {
		s := y[i]
		for k := i + 1; k < n; k++ {
			s -= c[k*n+i] * x[k]
		}
		x[i] = s / c[i*n+i]
	}
	return x, nil
}
