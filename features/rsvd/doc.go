// Package rsvd computes a truncated singular value decomposition of a large
// sparse matrix with the randomized range finder of Halko, Martinsson and
// Tropp ("Finding structure with randomness", SIAM Review 53(2), 2011). It is
// meant for latent semantic analysis: the top D right singular vectors of a
// TF-IDF matrix with n ≈ 10⁵ documents (rows), m ≈ 10⁵ terms (columns), 50 to
// 300 non-zeros per row and D between 8 and 256.
//
// # Algorithm
//
// With k = min(Rank+Oversample, Rows, Cols) and q = PowerIters:
//
//	Ω  = Gaussian Cols×k                 (math/rand/v2 PCG streams seeded with Seed)
//	Y  = A·Ω
//	repeat q times:
//	    Q = orth(Y);  Z = Aᵀ·Q;  Z = orth(Z);  Y = A·Z
//	Q  = orth(Y)                         (final, orthonormal to working precision)
//	Bᵀ = Aᵀ·Q                            (Cols×k; A ≈ Q·B)
//	G  = B·Bᵀ = (Bᵀ)ᵀ·Bᵀ = Ũ·Λ·Ũᵀ          (k×k, gonum mat.EigenSym)
//	σᵢ = √λᵢ,  V = Bᵀ·Ũ·Σ⁻¹               (first Rank columns)
//
// Each column of V is then flipped so that its entry of largest absolute value
// (the first one on ties) is positive.
//
// The power iterations improve the approximation of the j-th singular
// direction by the factor (σ_{k+1}/σ_j)^(2q+1); the orthonormalisation between
// them prevents round-off from collapsing the sketch onto the dominant
// directions.
//
// # Orthonormalisation: CholeskyQR, Householder as fallback
//
// orth uses CholeskyQR: G = XᵀX, R = chol(G), X ← X·R⁻¹. Its cost is two
// passes of n·k² flops through the tall matrix, both cache-blocked, parallel
// and vectorised in this package, whereas Householder QR (gonum's dgeqrf and
// dorgqr, which mat.QR uses) is sequential in its panel factorisations and
// needs the explicit thin Q in addition. Measured on 100,000×138 on two cores:
// one CholeskyQR pass 0.09 s, CholeskyQR2 0.18 s, Householder (dgeqrf+dorgqr)
// 3.6 s — twenty times slower.
//
// One CholeskyQR pass leaves an orthogonality error of about ε·cond(X)² but
// preserves the span to about ε·cond(X). Between power iterations only the
// span matters (the next product and normalisation work on any well
// conditioned basis of it), and there cond(X) is at most about σ₁/σ_k of A, so
// a single pass is used. The final Q must be orthonormal (otherwise B = QᵀA
// does not carry the singular values of the projection), so it gets
// CholeskyQR2 — a second pass, which restores orthogonality to O(ε) (Yamamoto
// et al. 2015 prove it for 8·cond(X)·√((rows·k + k(k+1))·ε) ≤ 1, about
// cond(X) ≤ 3·10³ at 10⁵×138; in practice it holds far beyond) — and a third
// pass if the second Gram matrix still deviates from the identity by more than
// 0.1. If a Cholesky factorisation fails (a
// pivot below 1e-13 times its diagonal entry: X is numerically rank deficient
// or cond(X) ≳ 3·10⁶, which happens for exactly low-rank inputs with k above
// the rank), that orthonormalisation falls back to Householder QR, which is
// unconditionally stable.
//
// # Small SVD
//
// The k×k eigen-decomposition of B·Bᵀ squares the condition number: a
// singular value σᵢ is accurate to about ε·σ₁²/σᵢ relative, and the columns of
// V lose orthogonality like ε·σ₁²/σᵢ². For σᵢ ≥ 10⁻³·σ₁ (always the case in
// LSA) this is below 10⁻¹⁰. When a returned σᵢ is smaller, V is
// re-orthonormalised with Householder QR in column order; singular values
// below 10⁻⁷·σ₁ (the rounding level of B·Bᵀ) are noise, and their vectors are
// replaced by an orthonormal completion (requested Rank above the numerical
// rank of A).
//
// # Kernels, parallelism and determinism
//
// Dense k-column matrices are stored row-major ([]float64, leading dimension
// k rounded up to a multiple of 4, zero padding) so that every inner loop runs
// over contiguous k-vectors. Accumulation is in float64 with fused
// multiply-adds. On amd64 with AVX2 and FMA the inner loops are assembly
// kernels; elsewhere portable Go with math.FMA performs exactly the same
// operations, so both give bit-identical results.
//
//   - A·X: row blocks of 256 rows in parallel; each output row is a gather
//     y_i = Σ_p a_ip·x_{c_p}, accumulated in 32-wide register tiles.
//   - Aᵀ·X: the k columns are cut into slices (multiples of 4 wide); a task owns
//     one slice of the output and streams through the rows of A in order,
//     scattering z_c += a_ic·x_i. No races and no per-worker partial copies of
//     the Cols×k output; every output element is summed in increasing row
//     order, whatever the number of slices.
//   - Gram matrices XᵀX: fixed groups of 2048 rows (in 256-row cache blocks,
//     upper triangle only, 4×12 register-blocked kernel); the group partial
//     sums are added in group order.
//   - X·R⁻¹ and Bᵀ·Ũ: 256-row blocks, 4×12 register-blocked kernel.
//   - Ω: blocks of 1024 rows, block b drawn from rand.NewPCG(Seed, b).
//
// Work is split into blocks whose boundaries do not depend on the number of
// workers, and every output element is computed by one fixed sequence of
// operations, so the result is bit-identical for any Workers value (and any
// GOMAXPROCS), and for repeated runs. gonum's dense routines used on k×k
// matrices (eigen-decomposition) and in the Householder fallback are
// deterministic as well.
//
// The context is checked between phases and between blocks of work (every
// 4096 rows inside an Aᵀ·X pass); the eigen-decomposition and a Householder
// fallback are not interruptible.
//
// # Cost
//
// With nnz non-zeros, n = Rows, m = Cols:
//
//   - sparse products: 2q+2 of them (q+1 of each kind), 2·nnz·k flops each.
//     They are memory bound: every non-zero streams one k-vector (8k bytes) of
//     the dense operand, so their speed depends on how much of the dense
//     operand stays in cache (Zipf-distributed columns help A·X and Aᵀ·X).
//   - orthonormalisations: q single passes on n×k and q on m×k, one CholeskyQR2
//     on n×k; a pass costs about 2·rows·k² flops.
//   - small SVD: m·k² (Gram of Bᵀ) + O(k³) + 2·m·k·Rank flops.
//   - memory: (n+m)·k·8 bytes for Y and Z, m·Rank·8 bytes for V, and
//     (n/2048)·k²·8 bytes of Gram partial sums, on top of A.
//
// # Figures
//
// Synthetic TF-IDF matrix of 100,000 × 65,536 with 80 non-zeros per row
// (columns Zipf(1.1)-distributed over a random permutation of the vocabulary,
// as with hashed terms), Rank 128, defaults (Oversample 10, PowerIters 2),
// two cores (AMD EPYC, AVX2 kernels): 2.2–2.9 s per call, of which A·X
// 0.7–0.9 s (3 products), Aᵀ·X 0.9–1.2 s (3 products), orthonormalisation
// 0.4 s, random matrix 0.05 s, small SVD 0.1 s (BenchmarkTruncatedSVD).
//
// Accuracy/speed trade-off of PowerIters (TestReportPowerIters with
// RSVD_REPORT=1): relative error of the top-64 singular values against
// gonum's dense SVD on 4000×2000 TF-IDF matrices with 40 non-zeros per row
// (mean / max), and the fraction ‖AV‖²_F / Σᵢ σᵢ² of the optimal captured
// energy; time per call on the benchmark matrix above.
//
//	q   no latent structure (Zipf)   100 topics                 time (benchmark)
//	0   3.2e-1 / 4.5e-1   0.938      3.5e-1 / 4.6e-1   0.832    0.8 s
//	1   5.2e-2 / 1.6e-1   0.987      7.9e-2 / 1.6e-1   0.952    1.5 s
//	2   1.8e-2 / 8.1e-2   0.995      3.2e-2 / 8.1e-2   0.977    2.4 s
//	3   8.3e-3 / 4.6e-2   0.998      1.8e-2 / 5.2e-2   0.986    3.1 s
//	4   4.2e-3 / 3.1e-2   0.999      1.1e-2 / 3.6e-2   0.991    3.6 s
//	6   1.4e-3 / 1.4e-2   0.9996     5.2e-3 / 2.0e-2   0.996    5.2 s
//
// TF-IDF spectra are flat beyond the first few values (here σ₆₄/σ₇₅ ≈ 1.04),
// the hardest case for randomized SVD; with a clear spectral gap the error
// drops much faster (the tests reach 1e-8 or better with q = 2).
package rsvd
