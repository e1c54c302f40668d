// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * AVX2 sweep: the expressions of vgc_sweep_word() on four plane words
 * (256 objects) per register, compiled for AVX2 only in this function and
 * chosen at run time (vgc_sweep_default).  Population counts use the
 * nibble-table method (vpshufb + vpsadbw) so counters stay in registers.
 * The test suite checks it against vgc_sweep_word() bit for bit.
 */
#include <immintrin.h>
#include <linux/vgc_state.h>
#include "vgcu_int.h"

#define AVX2 __attribute__((target("avx2")))

enum {
	C_LIVE, C_ACT, C_IDLE, C_DEF, C_MARK, C_EXP, C_REC, C_PIN, C_PRO,
	C_DEM, C_KEPT, C_DROP, C_STABLE, C_HIST, C_NR = C_HIST + 8,
};

static inline AVX2 __m256i pc256(__m256i x)
{
	const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3,
					     1, 2, 2, 3, 2, 3, 3, 4,
					     0, 1, 1, 2, 1, 2, 2, 3,
					     1, 2, 2, 3, 2, 3, 3, 4);
	const __m256i low = _mm256_set1_epi8(0x0f);
	__m256i lo = _mm256_and_si256(x, low);
	__m256i hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), low);
	__m256i cnt = _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo),
				      _mm256_shuffle_epi8(lut, hi));

	return _mm256_sad_epu8(cnt, _mm256_setzero_si256());
}

#define LD(p)		_mm256_loadu_si256((const __m256i *)(p))
#define ST(p, x)	_mm256_storeu_si256((__m256i *)(p), (x))
#define AND		_mm256_and_si256
#define OR		_mm256_or_si256
#define XOR		_mm256_xor_si256
#define ANDN		_mm256_andnot_si256	/* ANDN(x, y) = ~x & y */
#define ACC(i, m)	(acc[i] = _mm256_add_epi64(acc[i], pc256(m)))

void AVX2 vgcu_sweep_block_avx2(struct vgc_sweep_block *b)
{
	const __m256i z = _mm256_set1_epi64x((long long)b->z);
	const __m256i ones = _mm256_set1_epi64x(-1);
	__m256i acc[C_NR];
	uint64_t lanes[4];
	unsigned int i, j, c, n4 = b->n & ~3U;

	for (c = 0; c < C_NR; c++)
		acc[c] = _mm256_setzero_si256();
	for (i = 0; i < n4; i += 4) {
		const __m256i v = LD(b->v + i), s0 = LD(b->s0 + i);
		const __m256i s1 = LD(b->s1 + i), s2 = LD(b->s2 + i);
		const __m256i a = LD(b->a + i);
		const __m256i rin = LD(b->r + i), pin = LD(b->p + i);
		const __m256i kin = LD(b->k + i);
		const __m256i prin = LD(b->promote + i);
		const __m256i dmin = LD(b->demote + i);
		const __m256i r = AND(rin, z), p = AND(pin, z), k = AND(kin, z);
		const __m256i open = ANDN(s2, v);
		const __m256i ia = ANDN(s1, open);
		const __m256i cand = AND(open, s1);
		const __m256i vs2 = AND(v, s2);
		const __m256i def = AND(ANDN(s1, vs2), s0);
		const __m256i mark = ANDN(s0, AND(vs2, s1));
		const __m256i exp = AND(AND(vs2, s1), s0);
		__m256i n0 = OR(OR(AND(ia, a), AND(cand, s0)),
				OR(AND(vs2, s1), XOR(v, ones)));
		__m256i n1 = OR(cand, AND(vs2, XOR(s1, s0)));
		__m256i n2 = ANDN(AND(s1, s0), vs2);
		const __m256i nv = ANDN(exp, v);
		const __m256i p_app = AND(p, open);
		const __m256i r_app = ANDN(p, AND(r, open));
		const __m256i k_app = ANDN(r, ANDN(p, AND(k, cand)));
		const __m256i cls = AND(ANDN(r, ANDN(p, ia)), z);
		const __m256i pr = AND(prin, cls);
		const __m256i dm = ANDN(prin, AND(dmin, cls));
		const __m256i ovr = OR(OR(OR(p_app, r_app), OR(k_app, pr)), dm);
		__m256i ov, o0, o1, o2;

		n2 = OR(OR(ANDN(ovr, n2), p_app), r_app);
		n1 = OR(OR(ANDN(ovr, n1), pr), dm);
		n0 = OR(OR(OR(ANDN(ovr, n0), r_app), k_app), dm);

		ov = OR(AND(nv, z), ANDN(z, v));
		o0 = OR(AND(n0, z), ANDN(z, s0));
		o1 = OR(AND(n1, z), ANDN(z, s1));
		o2 = OR(AND(n2, z), ANDN(z, s2));
		ST(b->s0 + i, o0);
		ST(b->s1 + i, o1);
		ST(b->s2 + i, o2);
		ST(b->r + i, ANDN(z, rin));
		ST(b->p + i, ANDN(z, pin));
		ST(b->k + i, ANDN(z, kin));
		ST(b->promote + i, ANDN(z, prin));
		ST(b->demote + i, ANDN(z, dmin));
		ST(b->reclaimed + i, AND(exp, z));

		ACC(C_LIVE, AND(v, z));
		ACC(C_ACT, AND(ANDN(ovr, AND(ANDN(s0, ia), a)), z));
		ACC(C_IDLE, AND(ANDN(ovr, ANDN(a, AND(ia, s0))), z));
		ACC(C_DEF, r_app);
		ACC(C_MARK, AND(def, z));
		ACC(C_EXP, AND(mark, z));
		ACC(C_REC, AND(exp, z));
		ACC(C_PIN, p_app);
		ACC(C_PRO, pr);
		ACC(C_DEM, dm);
		ACC(C_KEPT, k_app);
		ACC(C_DROP, ANDN(r_app, r));
		ACC(C_DROP, ANDN(p_app, p));
		ACC(C_DROP, ANDN(k_app, k));
		ACC(C_DROP, ANDN(OR(pr, dm), AND(OR(prin, dmin), z)));
		ACC(C_STABLE, ANDN(OR(OR(XOR(s0, n0), XOR(s1, n1)),
				      XOR(s2, n2)), AND(nv, z)));
		{
			const __m256i lo = ANDN(o1, ov), hi = AND(o1, ov);
			const __m256i l0 = ANDN(o2, lo), l1 = AND(o2, lo);
			const __m256i h0 = ANDN(o2, hi), h1 = AND(o2, hi);

			/* code = s2 s1 s0 */
			ACC(C_HIST + 0, ANDN(o0, l0));
			ACC(C_HIST + 1, AND(o0, l0));
			ACC(C_HIST + 2, ANDN(o0, h0));
			ACC(C_HIST + 3, AND(o0, h0));
			ACC(C_HIST + 4, ANDN(o0, l1));
			ACC(C_HIST + 5, AND(o0, l1));
			ACC(C_HIST + 6, ANDN(o0, h1));
			ACC(C_HIST + 7, AND(o0, h1));
		}
	}

	for (c = 0; c < C_NR; c++) {
		uint64_t sum = 0;

		ST(lanes, acc[c]);
		for (j = 0; j < 4; j++)
			sum += lanes[j];
		switch (c) {
		case C_LIVE: b->counts->live += sum; break;
		case C_ACT: b->counts->to_active += sum; break;
		case C_IDLE: b->counts->to_idle += sum; break;
		case C_DEF: b->counts->deferred += sum; break;
		case C_MARK: b->counts->marked += sum; break;
		case C_EXP: b->counts->expired += sum; break;
		case C_REC: b->counts->reclaimed += sum; break;
		case C_PIN: b->counts->pinned += sum; break;
		case C_PRO: b->counts->promoted += sum; break;
		case C_DEM: b->counts->demoted += sum; break;
		case C_KEPT: b->counts->kept += sum; break;
		case C_DROP: b->counts->dropped += sum; break;
		case C_STABLE: b->counts->stable += sum; break;
		default: b->hist[c - C_HIST] += sum; break;
		}
	}
	b->counts->words += n4;

	if (n4 < b->n) {
		struct vgc_sweep_block t = *b;

		t.n = b->n - n4;
		t.v += n4;
		t.a += n4;
		t.s0 += n4;
		t.s1 += n4;
		t.s2 += n4;
		t.r += n4;
		t.p += n4;
		t.k += n4;
		t.promote += n4;
		t.demote += n4;
		t.reclaimed += n4;
		vgcu_sweep_block_scalar(&t);
	}
}
