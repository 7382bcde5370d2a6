/* test_gateway_backoff.c - the outbox dispatcher's retry delays (jf_gateway_backoff).
 *
 * What it proves, by sampling each case many times (the jitter is random):
 *   - the nominal delay is the base (JIANFU_OUTBOX_BACKOFF, at least 1) doubled for each
 *     failed attempt after the first, and never more than an hour;
 *   - the jitter keeps every delay within [0.5, 1.5) of the nominal one (in whole seconds:
 *     at least half of it rounded down, less than one and a half times it), spreads over
 *     that whole range and averages to the nominal delay;
 *   - a delay is never below 1 s, whatever the base or attempt count (0, negative, huge);
 *   - a delay is never below the provider's Retry-After.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/dispatcher.h"

#define HOUR 3600
#define SAMPLES 2000

/* The delay before the jitter: base (at least 1) doubled attempts - 1 times, capped. */
static long long nominal(int base, int attempts)
{
    long long x = base > 0 ? base : 1;
    for (int i = 1; i < attempts && x < HOUR; i++)
        x *= 2;
    return x > HOUR ? HOUR : x;
}

typedef struct {
    long long min, max;
    double mean;
} sample_stats;

/* Sample jf_gateway_backoff(base, attempts, retry_after), checking every value against
 * the bounds that hold for each single call. */
static sample_stats sample(int base, int attempts, int retry_after)
{
    long long x = nominal(base, attempts);
    sample_stats s = {LLONG_MAX, LLONG_MIN, 0};
    double sum = 0;
    for (int i = 0; i < SAMPLES; i++) {
        long long d = jf_gateway_backoff(base, attempts, retry_after);
        if (d < 1)
            fail_msg("backoff(%d, %d, %d) = %lld, below 1 s", base, attempts, retry_after, d);
        if (d < retry_after)
            fail_msg("backoff(%d, %d, %d) = %lld, below the Retry-After", base, attempts,
                     retry_after, d);
        if (d > retry_after) {
            /* Not raised to the Retry-After: the jittered delay itself. */
            if (d < x / 2 || 2 * d >= 3 * x)
                fail_msg("backoff(%d, %d, %d) = %lld, outside [0.5, 1.5) x %lld", base,
                         attempts, retry_after, d, x);
        }
        s.min = d < s.min ? d : s.min;
        s.max = d > s.max ? d : s.max;
        sum += (double)d;
    }
    s.mean = sum / SAMPLES;
    return s;
}

/* The jitter must cover [0.5, 1.5) x and centre on x. */
static void expect_spread(int base, int attempts, const sample_stats *s)
{
    long long x = nominal(base, attempts);
    if (s->min > x * 55 / 100 || s->max < x * 145 / 100)
        fail_msg("backoff(%d, %d): %d samples in [%lld, %lld], want about [%lld, %lld)", base,
                 attempts, SAMPLES, s->min, s->max, x / 2, x * 3 / 2);
    if (s->mean < 0.95 * (double)x || s->mean > 1.05 * (double)x)
        fail_msg("backoff(%d, %d): mean %.1f, want about %lld", base, attempts, s->mean, x);
}

static void test_doubling(void **state)
{
    (void)state;
    /* 600 s is the largest JIANFU_OUTBOX_BACKOFF: 600, 1200, 2400, then the hour. */
    static const long long want600[] = {600, 1200, 2400, 3600, 3600, 3600};
    for (int a = 1; a <= 6; a++) {
        assert_int_equal(nominal(600, a), want600[a - 1]);
        sample_stats s = sample(600, a, 0);
        expect_spread(600, a, &s);
    }
    /* The default base, 5 s: 5, 10, 20, ... 2560, then the hour. */
    for (int a = 1; a <= 12; a++) {
        sample_stats s = sample(5, a, 0);
        if (nominal(5, a) >= 40)
            expect_spread(5, a, &s);
    }
    assert_int_equal(nominal(5, 10), 2560);
    assert_int_equal(nominal(5, 11), HOUR);
    /* Each attempt's delays sit well above the one before's, until the cap. */
    sample_stats a3 = sample(100, 3, 0), a4 = sample(100, 4, 0);
    assert_true(a4.mean > 1.8 * a3.mean);
}

static void test_cap(void **state)
{
    (void)state;
    static const int attempts[] = {5, 7, 12, 31, 32, 64, 1000, INT_MAX};
    for (size_t i = 0; i < sizeof attempts / sizeof attempts[0]; i++) {
        sample_stats s = sample(600, attempts[i], 0);
        /* Nominal an hour: jittered within [30, 90) minutes. */
        assert_true(s.min >= HOUR / 2);
        assert_true(s.max < HOUR * 3 / 2);
        expect_spread(600, attempts[i], &s);
    }
    /* A base over the cap is capped too. */
    sample_stats s = sample(100000, 1, 0);
    assert_true(s.min >= HOUR / 2 && s.max < HOUR * 3 / 2);
    s = sample(INT_MAX, INT_MAX, 0);
    assert_true(s.min >= HOUR / 2 && s.max < HOUR * 3 / 2);
}

static void test_never_below_one(void **state)
{
    (void)state;
    static const int bases[] = {INT_MIN, -5, 0, 1};
    static const int attempts[] = {INT_MIN, -1, 0, 1};
    for (size_t b = 0; b < sizeof bases / sizeof bases[0]; b++)
        for (size_t a = 0; a < sizeof attempts / sizeof attempts[0]; a++)
            for (int i = 0; i < 200; i++)
                assert_int_equal(jf_gateway_backoff(bases[b], attempts[a], 0), 1);
    /* A base of 2 jitters to 1 or 2, never 0. */
    sample_stats s = sample(2, 1, 0);
    assert_int_equal(s.min, 1);
    assert_int_equal(s.max, 2);
    /* A negative Retry-After is no Retry-After. */
    for (int i = 0; i < 200; i++)
        assert_true(jf_gateway_backoff(1, 1, -30) >= 1);
}

static void test_retry_after(void **state)
{
    (void)state;
    /* Above anything the jitter could give: exactly the provider's request. */
    for (int i = 0; i < 200; i++) {
        assert_int_equal(jf_gateway_backoff(1, 1, 30), 30);
        assert_int_equal(jf_gateway_backoff(5, 2, 120), 120);
    }
    /* Within the jitter's range: never below it. */
    sample_stats s = sample(4, 1, 5); /* jitter alone: 2..5 */
    assert_int_equal(s.min, 5);
    s = sample(600, 1, 100); /* jitter alone: 300..899, always above */
    expect_spread(600, 1, &s);
    s = sample(600, 4, HOUR); /* a nominal hour, and Retry-After an hour */
    assert_true(s.min >= HOUR && s.max < HOUR * 3 / 2);
}

/* The provider may ask for more than the hour the backoff itself is capped at (Retry-After
 * up to a day is parsed); the contract is "never less than retry_after". */
static void test_retry_after_beyond_the_hour(void **state)
{
    (void)state;
    static const int asks[] = {HOUR + 1, 2 * HOUR, 86400};
    for (size_t k = 0; k < sizeof asks / sizeof asks[0]; k++)
        for (int i = 0; i < 50; i++) {
            int d = jf_gateway_backoff(5, 1, asks[k]);
            if (d < asks[k])
                fail_msg("backoff(5, 1, %d) = %d: retries sooner than the provider's "
                         "Retry-After",
                         asks[k], d);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doubling),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_never_below_one),
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_retry_after_beyond_the_hour),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
