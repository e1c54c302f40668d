// SPDX-License-Identifier: GPL-2.0
/*
 * Zone decision of docs/design.md (Zones) and the paper's boundary cases
 * (section 3.5.1), one by one: strict Green, non-strict Blue, Red
 * otherwise, ties resolved by cost, then by the lower-cost-weight zone.
 */
#include <errno.h>
#include <math.h>
#include "kselftest_harness.h"
#include <vgcu_zone.h>

static struct vgc_features feat(double a, double mu)
{
	struct vgc_features x = {
		.lambda = 0, .tau = 10, .mu = mu, .a = a,
		.s = 32, .phi = 1, .kappa = 1,
	};
	return x;
}

TEST(policy_defaults_valid)
{
	struct vgc_zone_policy p;

	vgc_zone_policy_init(&p);
	ASSERT_EQ(0, vgc_zone_policy_check(&p));
	ASSERT_LT(p.th.thA_B, p.th.thA_G);
	ASSERT_LT(p.th.thM_B, p.th.thM_G);
}

TEST(policy_monotone_separation)
{
	struct vgc_zone_policy p;

	vgc_zone_policy_init(&p);
	p.th.thA_B = p.th.thA_G;		/* equal: not separated */
	ASSERT_EQ(-EINVAL, vgc_zone_policy_check(&p));
	p.th.thA_B = p.th.thA_G + 0.1;		/* reversed */
	ASSERT_EQ(-EINVAL, vgc_zone_policy_check(&p));
	vgc_zone_policy_init(&p);
	p.th.thM_B = p.th.thM_G;
	ASSERT_EQ(-EINVAL, vgc_zone_policy_check(&p));
	vgc_zone_policy_init(&p);
	p.th.thA_G = NAN;
	ASSERT_EQ(-EINVAL, vgc_zone_policy_check(&p));
	vgc_zone_policy_init(&p);
	p.th.thM_G = INFINITY;
	ASSERT_EQ(-EINVAL, vgc_zone_policy_check(&p));
}

TEST(policy_bad_parameters)
{
	struct vgc_zone_policy p;

	vgc_zone_policy_init(&p);
	p.zp[VGC_ZONE_BLUE].alpha = -1e-9;
	ASSERT_EQ(-EINVAL, vgc_zone_policy_check(&p));
	vgc_zone_policy_init(&p);
	p.zp[VGC_ZONE_RED].rho = 1.5;
	ASSERT_EQ(-EINVAL, vgc_zone_policy_check(&p));
	vgc_zone_policy_init(&p);
	p.zp[VGC_ZONE_GREEN].w = 0;
	ASSERT_EQ(-EINVAL, vgc_zone_policy_check(&p));
	vgc_zone_policy_init(&p);
	p.ema_alpha = 0;
	ASSERT_EQ(-EINVAL, vgc_zone_policy_check(&p));
	vgc_zone_policy_init(&p);
	p.classify_every = 0;
	ASSERT_EQ(-EINVAL, vgc_zone_policy_check(&p));
	ASSERT_EQ(-EINVAL, vgc_zone_policy_check(NULL));
}

/* 3.5.1: at a == thA_G the (strict) Green condition is not met. */
TEST(access_at_green_threshold_is_not_green)
{
	struct vgc_zone_policy p;
	struct vgc_features x;

	vgc_zone_policy_init(&p);
	x = feat(p.th.thA_G, 0);
	ASSERT_EQ(0U, vgc_zone_eligible(&p, &x) & (1U << VGC_ZONE_GREEN));
	/* still Blue-eligible: thA_B < thA_G <= a */
	ASSERT_EQ(VGC_ZONE_BLUE, vgc_zone_decide(&p, &x));
	/* one ulp above is Green-eligible */
	x.a = nextafter(p.th.thA_G, 2.0);
	ASSERT_NE(0U, vgc_zone_eligible(&p, &x) & (1U << VGC_ZONE_GREEN));
	ASSERT_EQ(VGC_ZONE_GREEN, vgc_zone_decide(&p, &x));
}

/* 3.5.1: at a == thA_B the (non-strict) Blue condition is met. */
TEST(access_at_blue_threshold_is_blue)
{
	struct vgc_zone_policy p;
	struct vgc_features x;

	vgc_zone_policy_init(&p);
	x = feat(p.th.thA_B, 0);
	ASSERT_EQ(1U << VGC_ZONE_BLUE, vgc_zone_eligible(&p, &x));
	ASSERT_EQ(VGC_ZONE_BLUE, vgc_zone_decide(&p, &x));
	x.a = nextafter(p.th.thA_B, -1.0);
	ASSERT_EQ(0U, vgc_zone_eligible(&p, &x));
	ASSERT_EQ(VGC_ZONE_RED, vgc_zone_decide(&p, &x));
}

/* Blue is "access or mutation": mu == thM_B alone is Blue. */
TEST(mutation_at_blue_threshold_is_blue)
{
	struct vgc_zone_policy p;
	struct vgc_features x;

	vgc_zone_policy_init(&p);
	x = feat(0, p.th.thM_B);
	ASSERT_EQ(1U << VGC_ZONE_BLUE, vgc_zone_eligible(&p, &x));
	ASSERT_EQ(VGC_ZONE_BLUE, vgc_zone_decide(&p, &x));
	/* mutation never makes an object Green, even above thM_G */
	x.mu = p.th.thM_G + 0.3;
	ASSERT_EQ(1U << VGC_ZONE_BLUE, vgc_zone_eligible(&p, &x));
	ASSERT_EQ(VGC_ZONE_BLUE, vgc_zone_decide(&p, &x));
}

/* 3.5.1: neither condition -> the otherwise case, Red. */
TEST(neither_is_red)
{
	struct vgc_zone_policy p;
	struct vgc_features x;

	vgc_zone_policy_init(&p);
	x = feat(nextafter(p.th.thA_B, -1.0), nextafter(p.th.thM_B, -1.0));
	ASSERT_EQ(0U, vgc_zone_eligible(&p, &x));
	ASSERT_EQ(VGC_ZONE_RED, vgc_zone_decide(&p, &x));
	x = feat(0, 0);
	ASSERT_EQ(VGC_ZONE_RED, vgc_zone_decide(&p, &x));
}

/* Green and Blue both apply: the lower cost wins, whichever it is. */
TEST(ties_resolved_by_cost)
{
	struct vgc_zone_policy p;
	struct vgc_features x;
	double cg, cb;

	vgc_zone_policy_init(&p);
	x = feat(0.9, 0.0);
	ASSERT_EQ((1U << VGC_ZONE_GREEN) | (1U << VGC_ZONE_BLUE),
		  vgc_zone_eligible(&p, &x));
	cg = vgc_zone_cost(&p, VGC_ZONE_GREEN, &x);
	cb = vgc_zone_cost(&p, VGC_ZONE_BLUE, &x);
	ASSERT_LT(cg, cb);
	ASSERT_EQ(VGC_ZONE_GREEN, vgc_zone_decide(&p, &x));

	/* make Green dear to mark: Blue becomes the arg-min */
	p.zp[VGC_ZONE_GREEN].alpha = 10.0;
	ASSERT_EQ(0, vgc_zone_policy_check(&p));
	ASSERT_GT(vgc_zone_cost(&p, VGC_ZONE_GREEN, &x),
		  vgc_zone_cost(&p, VGC_ZONE_BLUE, &x));
	ASSERT_EQ(VGC_ZONE_BLUE, vgc_zone_decide(&p, &x));

	/* a mutating large object: Blue's cheap staging wins (defaults) */
	vgc_zone_policy_init(&p);
	x = feat(0.9, 1.0);
	x.s = 1024;
	ASSERT_LT(vgc_zone_cost(&p, VGC_ZONE_BLUE, &x),
		  vgc_zone_cost(&p, VGC_ZONE_GREEN, &x));
	ASSERT_EQ(VGC_ZONE_BLUE, vgc_zone_decide(&p, &x));
}

/* Equal costs: the zone with the lower cost weight w, deterministically. */
TEST(equal_cost_goes_to_lower_weight)
{
	struct vgc_zone_policy p;
	struct vgc_features x;
	int i;

	vgc_zone_policy_init(&p);
	p.zp[VGC_ZONE_GREEN] = p.zp[VGC_ZONE_BLUE];
	p.zp[VGC_ZONE_GREEN].w = 3.0;
	p.zp[VGC_ZONE_BLUE].w = 2.0;
	x = feat(0.9, 0.0);
	ASSERT_EQ(vgc_zone_cost(&p, VGC_ZONE_GREEN, &x),
		  vgc_zone_cost(&p, VGC_ZONE_BLUE, &x));
	for (i = 0; i < 100; i++)
		ASSERT_EQ(VGC_ZONE_BLUE, vgc_zone_decide(&p, &x));
	p.zp[VGC_ZONE_GREEN].w = 1.0;
	ASSERT_EQ(VGC_ZONE_GREEN, vgc_zone_decide(&p, &x));
	/* equal weights too: the lower zone number (Green = 1 < Blue = 2) */
	p.zp[VGC_ZONE_GREEN].w = p.zp[VGC_ZONE_BLUE].w;
	ASSERT_EQ(VGC_ZONE_GREEN, vgc_zone_decide(&p, &x));
}

TEST(bad_features_rejected)
{
	struct vgc_zone_policy p;
	struct vgc_features x;

	vgc_zone_policy_init(&p);
	x = feat(NAN, 0);
	ASSERT_EQ(-EINVAL, vgc_zone_decide(&p, &x));
	x = feat(0.5, -1);
	ASSERT_EQ(-EINVAL, vgc_zone_decide(&p, &x));
}

TEST(cost_model_terms)
{
	struct vgc_zone_policy p;
	struct vgc_cost_features f;
	struct vgc_features x = feat(0.5, 0.25);

	vgc_zone_policy_init(&p);
	vgc_zone_features(&x, &f);
	/* kappa (1 + a), phi + granules / 64, (granules + phi)(mu + 1/tau) */
	ASSERT_EQ(1.5, f.f_mark);
	ASSERT_EQ(1.0 + 2.0 / 64.0, f.f_scan);
	ASSERT_EQ(3.0 * (0.25 + 0.1), f.f_stage);
	ASSERT_EQ(p.zp[VGC_ZONE_RED].alpha * f.f_mark +
		  p.zp[VGC_ZONE_RED].beta * f.f_scan +
		  p.zp[VGC_ZONE_RED].gamma * f.f_stage,
		  vgc_zone_cost(&p, VGC_ZONE_RED, &x));
	ASSERT_EQ(p.zp[VGC_ZONE_BLUE].rho * 40.0,
		  vgc_zone_pause(&p, VGC_ZONE_BLUE, 40.0));
}

TEST(thread_share)
{
	struct vgc_zone_policy p;
	double pause[VGC_NR_ZONES] = { 10.0, 10.0, 10.0 };
	unsigned int sh[VGC_NR_ZONES];

	vgc_zone_policy_init(&p);
	p.zp[0].w = 1;
	p.zp[1].w = 2;
	p.zp[2].w = 1;
	ASSERT_EQ(0, vgc_zone_thread_share(&p, pause, 8, sh));
	ASSERT_EQ(2U, sh[0]);
	ASSERT_EQ(4U, sh[1]);
	ASSERT_EQ(2U, sh[2]);
	pause[0] = 0;
	pause[1] = 30;
	pause[2] = 10;	/* w P = 0, 60, 10: 7 threads -> 0, 6, 1 */
	ASSERT_EQ(0, vgc_zone_thread_share(&p, pause, 7, sh));
	ASSERT_EQ(0U, sh[0]);
	ASSERT_EQ(6U, sh[1]);
	ASSERT_EQ(1U, sh[2]);
	ASSERT_EQ(sh[0] + sh[1] + sh[2], 7U);
	pause[0] = -1;
	ASSERT_EQ(-EINVAL, vgc_zone_thread_share(&p, pause, 7, sh));
}

TEST_HARNESS_MAIN
