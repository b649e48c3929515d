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
