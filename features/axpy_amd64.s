//go:build amd64 && !purego

#include "textflag.h"

// func axpyAVX(a float32, x, y *float32, n int)
TEXT ·axpyAVX(SB), NOSPLIT, $0-32
	VBROADCASTSS a+0(FP), Y0
	MOVSS        a+0(FP), X5
	MOVQ         x+8(FP), SI
	MOVQ         y+16(FP), DI
	MOVQ         n+24(FP), CX
	XORQ         AX, AX
	MOVQ         CX, BX
	SHRQ         $5, BX         // BX = n / 32
	JZ           tail8

loop32:
	VMULPS  (SI)(AX*4), Y0, Y1
	VMULPS  32(SI)(AX*4), Y0, Y2
	VMULPS  64(SI)(AX*4), Y0, Y3
	VMULPS  96(SI)(AX*4), Y0, Y4
	VADDPS  (DI)(AX*4), Y1, Y1
	VADDPS  32(DI)(AX*4), Y2, Y2
	VADDPS  64(DI)(AX*4), Y3, Y3
	VADDPS  96(DI)(AX*4), Y4, Y4
	VMOVUPS Y1, (DI)(AX*4)
	VMOVUPS Y2, 32(DI)(AX*4)
	VMOVUPS Y3, 64(DI)(AX*4)
	VMOVUPS Y4, 96(DI)(AX*4)
	ADDQ    $32, AX
	DECQ    BX
	JNZ     loop32

tail8:
	MOVQ CX, BX
	ANDQ $31, BX
	SHRQ $3, BX                  // BX = (n % 32) / 8
	JZ   tail1

loop8:
	VMULPS  (SI)(AX*4), Y0, Y1
	VADDPS  (DI)(AX*4), Y1, Y1
	VMOVUPS Y1, (DI)(AX*4)
	ADDQ    $8, AX
	DECQ    BX
	JNZ     loop8

tail1:
	ANDQ $7, CX                  // CX = n % 8
	JZ   done

loop1:
	MOVSS (SI)(AX*4), X1
	MULSS X5, X1
	ADDSS (DI)(AX*4), X1
	MOVSS X1, (DI)(AX*4)
	INCQ  AX
	DECQ  CX
	JNZ   loop1

done:
	VZEROUPPER
	RET

// func axpyScatterAVX(x *float32, docs *int32, weights *float32, n int, out *float32, stride int, next *float32)
TEXT ·axpyScatterAVX(SB), NOSPLIT, $0-56
	MOVQ    x+0(FP), SI
	MOVQ    docs+8(FP), BX
	MOVQ    weights+16(FP), DX
	MOVQ    n+24(FP), CX
	MOVQ    out+32(FP), DI
	MOVQ    stride+40(FP), R8
	MOVQ    next+48(FP), R9
	PREFETCHT0 (R9)
	PREFETCHT0 64(R9)
	VMOVUPS (SI), Y1
	VMOVUPS 32(SI), Y2
	VMOVUPS 64(SI), Y3
	VMOVUPS 96(SI), Y4

scatter:
	MOVLQSX (BX), AX
	IMULQ   R8, AX
	ADDQ    DI, AX
	VBROADCASTSS (DX), Y0
	VMULPS  Y1, Y0, Y5
	VMULPS  Y2, Y0, Y6
	VMULPS  Y3, Y0, Y7
	VMULPS  Y4, Y0, Y8
	VADDPS  (AX), Y5, Y5
	VADDPS  32(AX), Y6, Y6
	VADDPS  64(AX), Y7, Y7
	VADDPS  96(AX), Y8, Y8
	VMOVUPS Y5, (AX)
	VMOVUPS Y6, 32(AX)
	VMOVUPS Y7, 64(AX)
	VMOVUPS Y8, 96(AX)
	ADDQ    $4, BX
	ADDQ    $4, DX
	DECQ    CX
	JNZ     scatter

	VZEROUPPER
	RET
