package model

import (
	"math"
	"sort"
)

// ROCAUC is the area under the ROC curve: the probability that a random
// fraud scores above a random legitimate transaction, ties counting half.
// It is NaN without both classes.
func ROCAUC(score []float64, fraud []bool) float64 {
	idx := order(score)
	var pos, neg float64
	for _, f := range fraud {
		if f {
			pos++
		} else {
			neg++
		}
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	// Sum of the positives' ranks (1-based, ties averaged), ascending.
	var rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && score[idx[j]] == score[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2 // ranks i+1..j
		for k := i; k < j; k++ {
			if fraud[idx[k]] {
				rankSum += avg
			}
		}
		i = j
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

// order returns the indices sorted by ascending score (stable).
func order(score []float64) []int {
	idx := make([]int, len(score))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return score[idx[a]] < score[idx[b]] })
	return idx
}

// Point is one threshold on the precision-recall curve: flagging every
// score at or above Threshold gives Precision and Recall.
type Point struct {
	Threshold, Precision, Recall float64
	Flagged                      int
}

// Curve is the precision-recall curve, one point per distinct score, from
// the highest threshold down.
func Curve(score []float64, fraud []bool) []Point {
	idx := order(score)
	var pos float64
	for _, f := range fraud {
		if f {
			pos++
		}
	}
	var out []Point
	var tp, n float64
	for i := len(idx) - 1; i >= 0; {
		j := i
		for j >= 0 && score[idx[j]] == score[idx[i]] {
			if fraud[idx[j]] {
				tp++
			}
			n++
			j--
		}
		p := Point{Threshold: score[idx[i]], Precision: tp / n, Flagged: int(n)}
		if pos > 0 {
			p.Recall = tp / pos
		}
		out = append(out, p)
		i = j
	}
	return out
}

// AveragePrecision is the area under the precision-recall curve as the
// step sum Σ (R_k − R_{k−1}) P_k over the thresholds (the usual PR-AUC).
func AveragePrecision(score []float64, fraud []bool) float64 {
	var ap, prev float64
	c := Curve(score, fraud)
	if len(c) == 0 || c[len(c)-1].Recall == 0 {
		return math.NaN()
	}
	for _, p := range c {
		ap += (p.Recall - prev) * p.Precision
		prev = p.Recall
	}
	return ap
}

// RecallAtPrecision is the highest recall of a threshold whose precision
// is at least minPrecision, with that threshold (+Inf and 0 when none).
func RecallAtPrecision(score []float64, fraud []bool, minPrecision float64) (recall, threshold float64) {
	threshold = math.Inf(1)
	for _, p := range Curve(score, fraud) {
		if p.Precision >= minPrecision && p.Recall > recall {
			recall, threshold = p.Recall, p.Threshold
		}
	}
	return recall, threshold
}

// PrecisionRecall counts a set of flags against the truth.
func PrecisionRecall(flag, fraud []bool) (precision, recall float64, flagged int) {
	var tp, pos float64
	for i := range flag {
		if fraud[i] {
			pos++
		}
		if flag[i] {
			flagged++
			if fraud[i] {
				tp++
			}
		}
	}
	if flagged > 0 {
		precision = tp / float64(flagged)
	}
	if pos > 0 {
		recall = tp / pos
	}
	return precision, recall, flagged
}

// LogLoss is the mean negative log-likelihood of probabilities.
func LogLoss(p []float64, fraud []bool) float64 {
	var s float64
	for i := range p {
		q := math.Min(math.Max(p[i], 1e-12), 1-1e-12)
		if fraud[i] {
			s -= math.Log(q)
		} else {
			s -= math.Log(1 - q)
		}
	}
	return s / float64(len(p))
}
