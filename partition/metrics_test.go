package partition

import (
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func mustContingency(t testing.TB, labels []string, clusters []int) *Contingency {
	t.Helper()
	c, err := NewContingency(labels, clusters)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// ints turns sklearn-style integer labels into string labels.
func ints(v ...int) []string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = string(rune('A' + x))
	}
	return out
}

func near(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol
}

func TestContingencyCounts(t *testing.T) {
	c := mustContingency(t, []string{"b", "a", "a", "b", "b", "a"}, []int{7, -1, 7, 7, 2, -1})
	if strings.Join(c.Labels, ",") != "a,b" {
		t.Fatalf("Labels = %v", c.Labels)
	}
	if len(c.Clusters) != 3 || c.Clusters[0] != -1 || c.Clusters[1] != 2 || c.Clusters[2] != 7 {
		t.Fatalf("Clusters = %v", c.Clusters)
	}
	want := [][]int64{{2, 0, 1}, {0, 1, 2}}
	for i := range want {
		for j := range want[i] {
			if c.Counts[i][j] != want[i][j] {
				t.Fatalf("Counts = %v, want %v", c.Counts, want)
			}
		}
	}
	if c.N != 6 {
		t.Fatalf("N = %d", c.N)
	}
}

func TestContingencyErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		labels   []string
		clusters []int
		msg      string
	}{
		{"mismatch", []string{"a", "b"}, []int{0}, "2 labels and 1 cluster ids"},
		{"empty", nil, nil, "no rows"},
		{"empty non-nil", []string{}, []int{}, "no rows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewContingency(tc.labels, tc.clusters)
			if err == nil || c != nil {
				t.Fatalf("got %v, %v; want error", c, err)
			}
			if !strings.HasPrefix(err.Error(), "robustdata/partition: ") || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %q, want prefix and %q", err, tc.msg)
			}
		})
	}
}

func TestNMI(t *testing.T) {
	ln2, ln3 := math.Log(2), math.Log(3)
	for _, tc := range []struct {
		name     string
		labels   []string
		clusters []int
		want     float64
		tol      float64
	}{
		// scikit-learn docs: normalized_mutual_info_score([0,0,1,1],[0,0,1,1]) = 1.0.
		{"sklearn identical", ints(0, 0, 1, 1), []int{0, 0, 1, 1}, 1, 0},
		// scikit-learn docs: ([0,0,1,1],[1,1,0,0]) = 1.0.
		{"sklearn relabelled", ints(0, 0, 1, 1), []int{1, 1, 0, 0}, 1, 0},
		// scikit-learn docs: ([0,0,0,0],[0,1,2,3]) = 0.0 (one side a single class).
		{"sklearn single class vs singletons", ints(0, 0, 0, 0), []int{0, 1, 2, 3}, 0, 0},
		// The mirror image: a single cluster against 4 labels.
		{"single cluster", ints(0, 1, 2, 3), []int{5, 5, 5, 5}, 0, 0},
		// Both sides a single class: no split at all, a perfect match (sklearn: 1.0).
		{"both single", ints(0, 0, 0), []int{9, 9, 9}, 1, 0},
		// Identical 3-way partitions of unequal sizes, relabelled: MI = H(labels) = H(clusters).
		{"identical relabelled 3", []string{"x", "x", "x", "y", "z", "z"}, []int{4, 4, 4, 0, 2, 2}, 1, 1e-15},
		// 2×2 design, each combination twice: every cell n_ij = 2, N = 8,
		// a_i = b_j = 4, so n_ij·N = 16 = a_i·b_j and every log term is
		// ln 1 = 0: MI = 0, NMI = 0.
		{"independent 2x2", ints(0, 0, 0, 0, 1, 1, 1, 1), []int{0, 0, 1, 1, 0, 0, 1, 1}, 0, 0},
		// Same with 3 of each combination, N = 12, a_i = b_j = 6:
		// 3·12 = 36 = 6·6, so MI = 0 exactly.
		{"independent 2x2 x3", ints(0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1), []int{0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1}, 0, 0},
		// labels [a a a b b b], clusters [0 0 1 1 2 2]:
		// contingency a: [2 1 0], b: [0 1 2]; N = 6, a_i = 3, 3; b_j = 2, 2, 2.
		// MI = Σ n_ij/N · ln(n_ij·N/(a_i·b_j))
		//    = 2/6·ln(12/6) + 1/6·ln(6/6) + 1/6·ln(6/6) + 2/6·ln(12/6)
		//    = (2/3)·ln 2 ≈ 0.46209812037329684
		// H(labels) = ln 2 ≈ 0.6931471805599453 (two halves)
		// H(clusters) = ln 3 ≈ 1.0986122886681098 (three thirds)
		// arithmetic mean = (ln 2 + ln 3)/2 = ln 6 / 2 ≈ 0.8958797346140275
		// NMI = (2/3)·ln 2 / (ln 6 / 2) = 4·ln 2 / (3·ln 6) ≈ 0.5158037429793887
		{"asymmetric", []string{"a", "a", "a", "b", "b", "b"}, []int{0, 0, 1, 1, 2, 2}, (2.0 / 3 * ln2) / ((ln2 + ln3) / 2), 1e-15},
		// NMI is symmetric: swap the roles.
		{"asymmetric swapped", ints(0, 0, 1, 1, 2, 2), []int{0, 0, 0, 1, 1, 1}, 4 * ln2 / (3 * math.Log(6)), 1e-15},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := mustContingency(t, tc.labels, tc.clusters).NMI()
			if !near(got, tc.want, tc.tol) {
				t.Fatalf("NMI = %.17g, want %.17g", got, tc.want)
			}
		})
	}
	if v := 4 * ln2 / (3 * math.Log(6)); !near(v, 0.5158037429793887, 1e-15) {
		t.Fatalf("hand value 4 ln2 / (3 ln6) = %.17g", v)
	}
}

func TestARI(t *testing.T) {
	for _, tc := range []struct {
		name     string
		labels   []string
		clusters []int
		want     float64
	}{
		// scikit-learn documentation examples of adjusted_rand_score (exact).
		{"sklearn identical", ints(0, 0, 1, 1), []int{0, 0, 1, 1}, 1.0},
		{"sklearn relabelled", ints(0, 0, 1, 1), []int{1, 1, 0, 0}, 1.0},
		{"sklearn split class", ints(0, 0, 1, 2), []int{0, 0, 1, 1}, 0.5714285714285714},
		{"sklearn split cluster", ints(0, 0, 1, 1), []int{0, 0, 1, 2}, 0.5714285714285714},
		{"sklearn single vs singletons", ints(0, 0, 0, 0), []int{0, 1, 2, 3}, 0.0},
		{"sklearn crossed", ints(0, 0, 1, 1), []int{0, 1, 0, 1}, -0.5},
		// Both a single cluster, both all singletons: perfect matches.
		{"both single", ints(0, 0, 0), []int{3, 3, 3}, 1.0},
		{"both singletons", ints(0, 1, 2), []int{3, 4, 5}, 1.0},
		{"one row", ints(0), []int{0}, 1.0},
		// labels [a a a b b b], clusters [0 0 1 1 2 2]; cells 2 1 / 1 2:
		// idx = C(2,2)+C(1,2)+C(1,2)+C(2,2) = 2,
		// A = C(3,2)+C(3,2) = 6, B = 3·C(2,2) = 3, P = C(6,2) = 15,
		// expected = A·B/P = 18/15 = 1.2, max = (A+B)/2 = 4.5,
		// ARI = (2 − 1.2)/(4.5 − 1.2) = 0.8/3.3 = 8/33 ≈ 0.24242424242424243.
		{"asymmetric", []string{"a", "a", "a", "b", "b", "b"}, []int{0, 0, 1, 1, 2, 2}, 8.0 / 33},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := mustContingency(t, tc.labels, tc.clusters).ARI()
			if got != tc.want {
				t.Fatalf("ARI = %.17g, want %.17g", got, tc.want)
			}
		})
	}
}

// TestARILargeN checks that N near 1e9 neither overflows nor cancels.
// For the 2×2 design with every cell m (N = 4m): idx = 4·C(m,2) = 2m(m−1),
// A = B = 2·C(2m,2) = 2m(2m−1), P = C(4m,2) = 2m(4m−1), so
// idx·P − A·B = 4m²[(m−1)(4m−1) − (2m−1)²] = −4m³ and
// (A+B)·P − 2A·B = 8m²(2m−1)[(4m−1) − (2m−1)] = 16m³(2m−1), giving
// ARI = −8m³ / (16m³(2m−1)) = −1/(4m−2). (m = 1 is the sklearn −0.5.)
func TestARILargeN(t *testing.T) {
	for _, m := range []int64{1, 2, 1000, 250_000_000, 1_000_000_000} {
		c := &Contingency{
			Labels:   []string{"a", "b"},
			Clusters: []int{0, 1},
			Counts:   [][]int64{{m, m}, {m, m}},
			N:        4 * m,
		}
		want := -1 / float64(4*m-2)
		if got := c.ARI(); got != want {
			t.Errorf("m = %d: ARI = %.17g, want %.17g", m, got, want)
		}
		if got := c.NMI(); got != 0 {
			t.Errorf("m = %d: NMI = %g, want 0", m, got)
		}
		diag := &Contingency{Labels: c.Labels, Clusters: c.Clusters, Counts: [][]int64{{2 * m, 0}, {0, 2 * m}}, N: 4 * m}
		if got := diag.ARI(); got != 1 {
			t.Errorf("m = %d: diagonal ARI = %g, want 1", m, got)
		}
		if got := diag.NMI(); !near(got, 1, 1e-15) {
			t.Errorf("m = %d: diagonal NMI = %.17g, want 1", m, got)
		}
	}
}

// TestMetricsAgainstBruteForce compares ARI with the Rand-index definition
// evaluated over all pairs and NMI with a direct evaluation of the
// entropies, on random partitions.
func TestMetricsAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 20 {
		n := 5 + rng.IntN(80)
		kl, kc := 1+rng.IntN(5), 1+rng.IntN(6)
		labels := make([]string, n)
		clusters := make([]int, n)
		for i := range n {
			labels[i] = string(rune('a' + rng.IntN(kl)))
			clusters[i] = rng.IntN(kc) - 2
		}
		c := mustContingency(t, labels, clusters)

		var same, sameL, sameC, pairs float64
		for i := range n {
			for j := i + 1; j < n; j++ {
				l, k := labels[i] == labels[j], clusters[i] == clusters[j]
				pairs++
				if l {
					sameL++
				}
				if k {
					sameC++
				}
				if l && k {
					same++
				}
			}
		}
		wantARI := 1.0
		if !(same == sameL && same == sameC) {
			exp := sameL * sameC / pairs
			wantARI = (same - exp) / ((sameL+sameC)/2 - exp)
		}
		if got := c.ARI(); !near(got, wantARI, 1e-12) {
			t.Errorf("trial %d: ARI = %.17g, brute force %.17g", trial, got, wantARI)
		}

		joint := map[[2]string]float64{}
		pl, pc := map[string]float64{}, map[string]float64{}
		for i := range n {
			ks := string(rune('0' + clusters[i] + 2))
			joint[[2]string{labels[i], ks}] += 1 / float64(n)
			pl[labels[i]] += 1 / float64(n)
			pc[ks] += 1 / float64(n)
		}
		var mi, hl, hc float64
		for key, p := range joint {
			mi += p * math.Log(p/(pl[key[0]]*pc[key[1]]))
		}
		for _, p := range pl {
			hl -= p * math.Log(p)
		}
		for _, p := range pc {
			hc -= p * math.Log(p)
		}
		var wantNMI float64
		switch {
		case len(pl) == 1 && len(pc) == 1:
			wantNMI = 1
		case len(pl) == 1 || len(pc) == 1:
			wantNMI = 0
		default:
			wantNMI = max(mi, 0) / ((hl + hc) / 2)
		}
		if got := c.NMI(); !near(got, wantNMI, 1e-12) || got < 0 || got > 1 {
			t.Errorf("trial %d: NMI = %.17g, direct %.17g", trial, got, wantNMI)
		}
	}
}

func TestPurity(t *testing.T) {
	for _, tc := range []struct {
		name     string
		labels   []string
		clusters []int
		want     float64
	}{
		// cells a: [2 1 0], b: [0 1 2]; column maxima 2, 1, 2 → 5/6.
		{"asymmetric", []string{"a", "a", "a", "b", "b", "b"}, []int{0, 0, 1, 1, 2, 2}, 5.0 / 6},
		// identical partitions: every cluster pure → 1.
		{"identical", ints(0, 0, 1, 1), []int{1, 1, 0, 0}, 1},
		// one cluster holding 3 x and 1 y → 3/4.
		{"single cluster", []string{"x", "x", "y", "x"}, []int{0, 0, 0, 0}, 0.75},
		// crossed 2×2, cells 1 1 / 1 1: column maxima 1, 1 → 2/4.
		{"crossed", ints(0, 0, 1, 1), []int{0, 1, 0, 1}, 0.5},
		// singletons are trivially pure → 1.
		{"singletons", ints(0, 0, 0, 0), []int{0, 1, 2, 3}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := mustContingency(t, tc.labels, tc.clusters).Purity(); got != tc.want {
				t.Fatalf("Purity = %.17g, want %.17g", got, tc.want)
			}
		})
	}
	if got := (&Contingency{}).Purity(); got != 0 {
		t.Fatalf("empty Purity = %g", got)
	}
}

func TestContingencyMarkdown(t *testing.T) {
	small := mustContingency(t, []string{"a", "a", "a", "b", "b", "b"}, []int{0, 0, 1, 1, 2, 2})
	// x: clusters 0 0 0 1 1 → [3 2]; y: 1 1 1 → [0 3]; z: 0 → [1 0]; w: 1 → [0 1].
	// Row totals x 5, y 3, w 1, z 1 (ties in label order).
	folded := mustContingency(t,
		[]string{"x", "x", "x", "x", "x", "y", "y", "y", "z", "w"},
		[]int{0, 0, 0, 1, 1, 1, 1, 1, 0, 1})
	const head = "| label | 0 | 1 | total |\n| :--- | ---: | ---: | ---: |\n"
	all := head +
		"| x | 3 | 2 | 5 |\n" +
		"| y | 0 | 3 | 3 |\n" +
		"| w | 0 | 1 | 1 |\n" +
		"| z | 1 | 0 | 1 |\n" +
		"| total | 4 | 6 | 10 |\n"
	for _, tc := range []struct {
		name string
		c    *Contingency
		max  int
		want string
	}{
		{"tiny", small, 10,
			"| label | 0 | 1 | 2 | total |\n" +
				"| :--- | ---: | ---: | ---: | ---: |\n" +
				"| a | 2 | 1 | 0 | 3 |\n" +
				"| b | 0 | 1 | 2 | 3 |\n" +
				"| total | 2 | 2 | 2 | 6 |\n"},
		{"fold to 2", folded, 2, head +
			"| x | 3 | 2 | 5 |\n" +
			"| y | 0 | 3 | 3 |\n" +
			"| (others) | 1 | 1 | 2 |\n" +
			"| total | 4 | 6 | 10 |\n"},
		{"fold to 3", folded, 3, head +
			"| x | 3 | 2 | 5 |\n" +
			"| y | 0 | 3 | 3 |\n" +
			"| w | 0 | 1 | 1 |\n" +
			"| (others) | 1 | 0 | 1 |\n" +
			"| total | 4 | 6 | 10 |\n"},
		{"fold to 1", folded, 1, head +
			"| x | 3 | 2 | 5 |\n" +
			"| (others) | 1 | 4 | 5 |\n" +
			"| total | 4 | 6 | 10 |\n"},
		{"exactly all", folded, 4, all},
		{"unlimited", folded, 0, all},
		{"escaped", mustContingency(t, []string{"a|b", ""}, []int{-3, -3}), 5,
			"| label | -3 | total |\n" +
				"| :--- | ---: | ---: |\n" +
				"| \"\" | 1 | 1 |\n" +
				"| a\\|b | 1 | 1 |\n" +
				"| total | 2 | 2 |\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.c.Markdown(tc.max); got != tc.want {
				t.Fatalf("Markdown(%d) =\n%s\nwant\n%s", tc.max, got, tc.want)
			}
		})
	}
}

func TestSilhouetteByHand(t *testing.T) {
	for _, tc := range []struct {
		name   string
		x      []float64
		assign []int
		want   float64
	}{
		// Points 0, 1 in cluster 0 and 10, 12 in cluster 1.
		//   x=0:  a = |0−1| = 1;  b = (10+12)/2 = 11;  s = (11−1)/11 = 10/11
		//   x=1:  a = 1;          b = (9+11)/2 = 10;   s = (10−1)/10 = 9/10
		//   x=10: a = |10−12| = 2; b = (10+9)/2 = 9.5; s = (9.5−2)/9.5 = 15/19
		//   x=12: a = 2;          b = (12+11)/2 = 11.5; s = (11.5−2)/11.5 = 19/23
		// mean = (10/11 + 9/10 + 15/19 + 19/23)/4 ≈ 0.8561628874557936
		{"two pairs", []float64{0, 1, 10, 12}, []int{0, 0, 1, 1}, (10.0/11 + 9.0/10 + 15.0/19 + 19.0/23) / 4},
		// Same with arbitrary ids and shuffled rows.
		{"two pairs relabelled", []float64{12, 0, 10, 1}, []int{-5, 7, -5, 7}, (10.0/11 + 9.0/10 + 15.0/19 + 19.0/23) / 4},
		// Singleton rule: 0, 1 in cluster 0, 10 alone in cluster 1.
		//   x=0:  a = 1, b = 10, s = 9/10
		//   x=1:  a = 1, b = 9,  s = 8/9
		//   x=10: singleton, s = 0
		// mean = (9/10 + 8/9 + 0)/3 ≈ 0.5962962962962963
		{"singleton", []float64{0, 1, 10}, []int{0, 0, 1}, (9.0/10 + 8.0/9) / 3},
		// All singletons: every s(i) = 0.
		{"all singletons", []float64{0, 1, 10}, []int{0, 1, 2}, 0},
		// Coincident points: a = b = 0 → s = 0 (sklearn's nan_to_num).
		{"coincident", []float64{3, 3, 3, 3}, []int{0, 0, 1, 1}, 0},
		// Worst case: points interleaved across clusters.
		//   0 and 2 in cluster 0, 1 and 3 in cluster 1:
		//   x=0: a = 2, b = (1+3)/2 = 2, s = 0
		//   x=2: a = 2, b = (1+1)/2 = 1, s = (1−2)/2 = −1/2
		//   x=1: a = 2, b = (1+1)/2 = 1, s = −1/2
		//   x=3: a = 2, b = (3+1)/2 = 2, s = 0
		// mean = −1/4
		{"interleaved", []float64{0, 2, 1, 3}, []int{0, 0, 1, 1}, -0.25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Silhouette(mat.NewDense(len(tc.x), 1, tc.x), tc.assign)
			if err != nil {
				t.Fatal(err)
			}
			if !near(got, tc.want, 1e-14) {
				t.Fatalf("Silhouette = %.17g, want %.17g", got, tc.want)
			}
		})
	}
	// 2-D: a 3-4-5 triangle. (0,0),(3,0) in cluster 0 and (3,4),(0,4) in 1.
	//   (0,0): a = 3, b = (5+4)/2 = 4.5, s = 1.5/4.5 = 1/3
	//   (3,0): a = 3, b = (4+5)/2 = 4.5, s = 1/3
	//   (3,4): a = 3, b = (5+4)/2 = 4.5, s = 1/3
	//   (0,4): a = 3, b = (4+5)/2 = 4.5, s = 1/3
	got, err := Silhouette(mat.NewDense(4, 2, []float64{0, 0, 3, 0, 3, 4, 0, 4}), []int{0, 0, 1, 1})
	if err != nil || !near(got, 1.0/3, 1e-14) {
		t.Fatalf("rectangle Silhouette = %.17g, %v; want 1/3", got, err)
	}
}

func TestSilhouetteErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		x      *mat.Dense
		assign []int
		msg    string
	}{
		{"nil", nil, []int{0, 1}, "nil matrix"},
		{"empty", &mat.Dense{}, nil, "0 rows"},
		{"one row", mat.NewDense(1, 2, []float64{1, 2}), []int{0}, "1 rows"},
		{"mismatch", mat.NewDense(3, 1, []float64{1, 2, 3}), []int{0, 1}, "3 rows with 2 assignments"},
		{"one cluster", mat.NewDense(3, 1, []float64{1, 2, 3}), []int{4, 4, 4}, "1 cluster"},
		{"NaN", mat.NewDense(3, 1, []float64{1, math.NaN(), 3}), []int{0, 1, 1}, "non-finite value at row 1"},
		{"Inf", mat.NewDense(2, 2, []float64{1, 2, 3, math.Inf(-1)}), []int{0, 1}, "row 1, column 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Silhouette(tc.x, tc.assign)
			if err == nil || !strings.HasPrefix(err.Error(), "robustdata/partition: ") || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %v, want %q", err, tc.msg)
			}
		})
	}
}

// silhouetteNaive is the textbook O(n²·d) definition with directly
// summed squared differences.
func silhouetteNaive(x *mat.Dense, assign []int) float64 {
	n, d := x.Dims()
	size := map[int]float64{}
	for _, a := range assign {
		size[a]++
	}
	total := 0.0
	for i := range n {
		if size[assign[i]] == 1 {
			continue
		}
		sums := map[int]float64{}
		xi := x.RawRowView(i)
		for j := range n {
			if j == i {
				continue
			}
			s := 0.0
			for k, xj := range x.RawRowView(j)[:d] {
				v := xi[k] - xj
				s += v * v
			}
			sums[assign[j]] += math.Sqrt(s)
		}
		a := sums[assign[i]] / (size[assign[i]] - 1)
		b := math.Inf(1)
		for c, sc := range size {
			if c != assign[i] {
				b = min(b, sums[c]/sc)
			}
		}
		if m := max(a, b); m > 0 {
			total += (b - a) / m
		}
	}
	return total / float64(n)
}

// blobs returns n rows of d columns around k well-separated centres
// (offset by a large constant to exercise the centring), and the
// generating assignment with row 0 made a singleton cluster.
func blobs(n, d, k int, seed uint64) (*mat.Dense, []int) {
	rng := rand.New(rand.NewPCG(seed, 7))
	centres := make([][]float64, k)
	for c := range centres {
		centres[c] = make([]float64, d)
		for j := range d {
			centres[c][j] = 1000 + 4*rng.NormFloat64()
		}
	}
	data := make([]float64, n*d)
	assign := make([]int, n)
	for i := range n {
		c := rng.IntN(k)
		assign[i] = c
		for j := range d {
			data[i*d+j] = centres[c][j] + rng.NormFloat64()
		}
	}
	assign[0] = k + 10
	return mat.NewDense(n, d, data), assign
}

func TestSilhouetteMatchesNaive(t *testing.T) {
	for _, sz := range []struct{ n, d, k int }{{2, 1, 2}, {37, 3, 4}, {300, 70, 5}, {600, 130, 3}} {
		x, assign := blobs(sz.n, sz.d, sz.k, uint64(sz.n))
		if sz.n == 2 {
			assign = []int{0, 1}
		}
		got, err := Silhouette(x, assign)
		if err != nil {
			t.Fatal(err)
		}
		want := silhouetteNaive(x, assign)
		if !near(got, want, 1e-9) {
			t.Errorf("n=%d d=%d: Silhouette = %.17g, naive %.17g", sz.n, sz.d, got, want)
		}
	}
}

func TestSilhouetteGOMAXPROCS(t *testing.T) {
	// n spans several row blocks, column tiles and scatter chunks; d
	// several GEMM k-blocks.
	x, assign := blobs(1100, 150, 6, 3)
	old := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(old)
	one, err := Silhouette(x, assign)
	if err != nil {
		t.Fatal(err)
	}
	for _, procs := range []int{4, 2, 7} {
		runtime.GOMAXPROCS(procs)
		got, err := Silhouette(x, assign)
		if err != nil {
			t.Fatal(err)
		}
		if !near(got, one, 1e-12) {
			t.Fatalf("GOMAXPROCS(1) %.17g, GOMAXPROCS(%d) %.17g", one, procs, got)
		}
		// The work split cannot change any sum: expect bit equality.
		if got != one {
			t.Errorf("GOMAXPROCS(1) %.17g, GOMAXPROCS(%d) %.17g differ by %g", one, procs, got, got-one)
		}
	}
	t.Logf("silhouette n=1100 d=150: %.17g", one)
}

func BenchmarkSilhouette5000x152(b *testing.B) {
	x, assign := blobs(5000, 152, 8, 5)
	for b.Loop() {
		if _, err := Silhouette(x, assign); err != nil {
			b.Fatal(err)
		}
	}
}
