//go:build amd64 && !purego

#include "textflag.h"

// ---------------------------------------------------------------------------
// Sparse gather: dst[0:W] = sum_p val[p] * x[idx[p]*ldx + 0:W], FMA chain in p
// order starting from +0.
//
// func gatherW(dst *float64, x *float64, ldx int, idx *int32, val *float32, nnz int)


// Loads the next (row address, broadcast value) into AX and Y15.
#define GATHER_NEXT \
	MOVLQSX (R8), AX; \
	IMULQ DX, AX; \
	ADDQ SI, AX; \
	VCVTSS2SD (R9), X14, X15; \
	VBROADCASTSD X15, Y15; \
	ADDQ $4, R8; \
	ADDQ $4, R9

TEXT ·gather32(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ ldx+16(FP), DX
	SHLQ $3, DX
	MOVQ idx+24(FP), R8
	MOVQ val+32(FP), R9
	MOVQ nnz+40(FP), CX
	VXORPD X14, X14, X14
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	TESTQ CX, CX
	JE g32done
g32loop:
	GATHER_NEXT
	VFMADD231PD 0(AX), Y15, Y0
	VFMADD231PD 32(AX), Y15, Y1
	VFMADD231PD 64(AX), Y15, Y2
	VFMADD231PD 96(AX), Y15, Y3
	VFMADD231PD 128(AX), Y15, Y4
	VFMADD231PD 160(AX), Y15, Y5
	VFMADD231PD 192(AX), Y15, Y6
	VFMADD231PD 224(AX), Y15, Y7
	DECQ CX
	JNE g32loop
g32done:
	VMOVUPD Y0, 0(DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	VMOVUPD Y4, 128(DI)
	VMOVUPD Y5, 160(DI)
	VMOVUPD Y6, 192(DI)
	VMOVUPD Y7, 224(DI)
	VZEROUPPER
	RET

TEXT ·gather16(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ ldx+16(FP), DX
	SHLQ $3, DX
	MOVQ idx+24(FP), R8
	MOVQ val+32(FP), R9
	MOVQ nnz+40(FP), CX
	VXORPD X14, X14, X14
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	TESTQ CX, CX
	JE g16done
g16loop:
	GATHER_NEXT
	VFMADD231PD 0(AX), Y15, Y0
	VFMADD231PD 32(AX), Y15, Y1
	VFMADD231PD 64(AX), Y15, Y2
	VFMADD231PD 96(AX), Y15, Y3
	DECQ CX
	JNE g16loop
g16done:
	VMOVUPD Y0, 0(DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	VZEROUPPER
	RET

TEXT ·gather4(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ ldx+16(FP), DX
	SHLQ $3, DX
	MOVQ idx+24(FP), R8
	MOVQ val+32(FP), R9
	MOVQ nnz+40(FP), CX
	VXORPD X14, X14, X14
	VXORPD Y0, Y0, Y0
	TESTQ CX, CX
	JE g4done
g4loop:
	GATHER_NEXT
	VFMADD231PD 0(AX), Y15, Y0
	DECQ CX
	JNE g4loop
g4done:
	VMOVUPD Y0, 0(DI)
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// Sparse scatter: out[idx[p]*ldo + 0:W] = fma(val[p], xrow[0:W], out[...]) for
// p in order.
//
// func scatterW(out *float64, ldo int, xrow *float64, idx *int32, val *float32, nnz int)


#define SCATTER_NEXT \
	MOVLQSX (R8), AX; \
	IMULQ DX, AX; \
	ADDQ DI, AX; \
	VCVTSS2SD (R9), X14, X15; \
	VBROADCASTSD X15, Y15; \
	ADDQ $4, R8; \
	ADDQ $4, R9

#define SCATTER_ONE(off, xr, tr) \
	VMOVUPD off(AX), tr; \
	VFMADD231PD xr, Y15, tr; \
	VMOVUPD tr, off(AX)

TEXT ·scatter32(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ ldo+8(FP), DX
	SHLQ $3, DX
	MOVQ xrow+16(FP), SI
	MOVQ idx+24(FP), R8
	MOVQ val+32(FP), R9
	MOVQ nnz+40(FP), CX
	VXORPD X14, X14, X14
	VMOVUPD 0(SI), Y0
	VMOVUPD 32(SI), Y1
	VMOVUPD 64(SI), Y2
	VMOVUPD 96(SI), Y3
	VMOVUPD 128(SI), Y4
	VMOVUPD 160(SI), Y5
	VMOVUPD 192(SI), Y6
	VMOVUPD 224(SI), Y7
	TESTQ CX, CX
	JE s32done
s32loop:
	SCATTER_NEXT
	SCATTER_ONE(0, Y0, Y8)
	SCATTER_ONE(32, Y1, Y9)
	SCATTER_ONE(64, Y2, Y10)
	SCATTER_ONE(96, Y3, Y11)
	SCATTER_ONE(128, Y4, Y12)
	SCATTER_ONE(160, Y5, Y13)
	SCATTER_ONE(192, Y6, Y8)
	SCATTER_ONE(224, Y7, Y9)
	DECQ CX
	JNE s32loop
s32done:
	VZEROUPPER
	RET

TEXT ·scatter16(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ ldo+8(FP), DX
	SHLQ $3, DX
	MOVQ xrow+16(FP), SI
	MOVQ idx+24(FP), R8
	MOVQ val+32(FP), R9
	MOVQ nnz+40(FP), CX
	VXORPD X14, X14, X14
	VMOVUPD 0(SI), Y0
	VMOVUPD 32(SI), Y1
	VMOVUPD 64(SI), Y2
	VMOVUPD 96(SI), Y3
	TESTQ CX, CX
	JE s16done
s16loop:
	SCATTER_NEXT
	SCATTER_ONE(0, Y0, Y8)
	SCATTER_ONE(32, Y1, Y9)
	SCATTER_ONE(64, Y2, Y10)
	SCATTER_ONE(96, Y3, Y11)
	DECQ CX
	JNE s16loop
s16done:
	VZEROUPPER
	RET

TEXT ·scatter8(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ ldo+8(FP), DX
	SHLQ $3, DX
	MOVQ xrow+16(FP), SI
	MOVQ idx+24(FP), R8
	MOVQ val+32(FP), R9
	MOVQ nnz+40(FP), CX
	VXORPD X14, X14, X14
	VMOVUPD 0(SI), Y0
	VMOVUPD 32(SI), Y1
	TESTQ CX, CX
	JE s8done
s8loop:
	SCATTER_NEXT
	SCATTER_ONE(0, Y0, Y8)
	SCATTER_ONE(32, Y1, Y9)
	DECQ CX
	JNE s8loop
s8done:
	VZEROUPPER
	RET

TEXT ·scatter4(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ ldo+8(FP), DX
	SHLQ $3, DX
	MOVQ xrow+16(FP), SI
	MOVQ idx+24(FP), R8
	MOVQ val+32(FP), R9
	MOVQ nnz+40(FP), CX
	VXORPD X14, X14, X14
	VMOVUPD 0(SI), Y0
	TESTQ CX, CX
	JE s4done
s4loop:
	SCATTER_NEXT
	SCATTER_ONE(0, Y0, Y8)
	DECQ CX
	JNE s4loop
s4done:
	VZEROUPPER
	RET
