/* test_upi_model.c — the upi_fraud model (jobs/upi_fraud/model.c): the model inputs and
 * the logistic score worked out by hand, the shipped model file, and model files that
 * are malformed in every way the parser checks, each refused with a reason. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jobs/upi_fraud/upi.h"

static const char *const good =
    "{\"bias\": -2, \"weights\": {\"velocity_60s\": 0.5, \"amount_5m_paise\": 1,"
    " \"new_device\": 0.25, \"new_payee\": 0.125, \"city_jump\": 2, \"no_login\": 3}}";

static int parse(const char *text, upi_model *m, char *err, size_t errlen)
{
    return upi_model_parse(text, strlen(text), m, err, errlen);
}

static void test_inputs_cap_velocity_and_take_log_of_rupees(void **state)
{
    double x[UPI_N_FEATURES];
    SG_UNUSED(state);
    upi_features f = {.velocity_60s = 14, .amount_5m_paise = 99900, .new_device = 1, .no_login = 1};
    upi_model_inputs(&f, x);
    assert_true(x[UPI_F_VELOCITY] == 10.0);
    assert_true(x[UPI_F_AMOUNT] == 3.0); /* log10(1 + 999.0) */
    assert_true(x[UPI_F_NEW_DEVICE] == 1.0);
    assert_true(x[UPI_F_NEW_PAYEE] == 0.0);
    assert_true(x[UPI_F_NO_LOGIN] == 1.0);
    f.velocity_60s = 3;
    f.amount_5m_paise = 50; /* half a rupee: real division, log10(1.5) */
    upi_model_inputs(&f, x);
    assert_true(x[UPI_F_VELOCITY] == 3.0);
    assert_true(fabs(x[UPI_F_AMOUNT] - 0.17609125905568124) < 1e-15);
}

static void test_score_is_the_logistic_of_the_weighted_sum(void **state)
{
    upi_model m;
    char err[128];
    SG_UNUSED(state);
    assert_int_equal(parse(good, &m, err, sizeof(err)), 0);
    /* z = -2 + 0.5 * 2 + 1 * log10(1 + 9.0) + 0.25 * 1 + 2 * 1 = 2.25 */
    upi_features f = {.velocity_60s = 2, .amount_5m_paise = 900, .new_device = 1, .city_jump = 1};
    assert_true(fabs(upi_score(&m, &f) - 1.0 / (1.0 + exp(-2.25))) < 1e-12);
    /* z = -2 + 0.5 + 0 = -1.5 for the smallest possible payment (log10(1.01) ~ 0.0043). */
    upi_features small = {.velocity_60s = 1, .amount_5m_paise = 1};
    assert_true(fabs(upi_score(&m, &small) - 1.0 / (1.0 + exp(1.5 - log10(1.01)))) < 1e-12);
    /* z = 0: exactly one half. */
    upi_model zero = {0};
    assert_true(upi_score(&zero, &small) == 0.5);
    /* A hugely negative z underflows to 0, not NaN. */
    zero.bias = -1e6;
    assert_true(upi_score(&zero, &small) == 0.0);
}

static void test_shipped_model_loads_and_separates_usual_from_fraud(void **state)
{
    upi_model m;
    char err[512];
    SG_UNUSED(state);
    assert_int_equal(upi_model_load("jobs/upi_fraud/model.json", &m, err, sizeof(err)), 0);
    upi_features usual = {.velocity_60s = 1, .amount_5m_paise = 30000};
    upi_features burst = {
        .velocity_60s = 6, .amount_5m_paise = 3000000, .new_payee = 1, .no_login = 1};
    upi_features jump = {.velocity_60s = 2,
                         .amount_5m_paise = 2000000,
                         .new_device = 1,
                         .new_payee = 1,
                         .city_jump = 1,
                         .no_login = 1};
    assert_true(upi_score(&m, &usual) < 0.01);
    assert_true(upi_score(&m, &burst) >= 0.8);
    assert_true(upi_score(&m, &jump) >= 0.8);
}

static void test_other_keys_whitespace_and_escapes_are_accepted(void **state)
{
    upi_model m;
    char err[128];
    SG_UNUSED(state);
    const char *text =
        "\n{ \"comment\": \"say \\\"hi\\\" \\u00e9\\n\", \"list\": [1, -2.5e3, true, null, {}],"
        "\"b\\u0069as\":0.5e1,\r\n \"weights\" : {\"no_login\": -0, \"city_jump\": 1E2,"
        "\"new_payee\":3,\"new_device\":4,\"amount_5m_paise\":5,\"velocity_60s\":6} }\t";
    assert_int_equal(parse(text, &m, err, sizeof(err)), 0);
    assert_true(m.bias == 5.0);
    assert_true(m.w[UPI_F_CITY_JUMP] == 100.0);
    assert_true(m.w[UPI_F_VELOCITY] == 6.0);
    assert_true(m.w[UPI_F_NO_LOGIN] == 0.0);
}

/* Each malformed text is refused with a reason holding 'want'. */
static void refused(const char *text, const char *want)
{
    upi_model m;
    char err[160];
    err[0] = '\0';
    if (parse(text, &m, err, sizeof(err)) != -1 || !strstr(err, want))
        fail_msg("%s: got \"%s\", want \"%s\"", text, err, want);
}

static void test_malformed_models_are_refused_with_a_reason(void **state)
{
    SG_UNUSED(state);
    refused("", "expected '{' at byte 0");
    refused("[]", "expected '{'");
    refused("{\"weights\": {\"velocity_60s\": 1, \"amount_5m_paise\": 1, \"new_device\": 1,"
            " \"new_payee\": 1, \"city_jump\": 1, \"no_login\": 1}}",
            "missing \"bias\"");
    refused("{\"bias\": 1}", "missing \"weights\"");
    refused("{\"bias\": 1, \"weights\": {\"velocity_60s\": 1}}",
            "missing weight \"amount_5m_paise\"");
    refused("{\"bias\": 1, \"weights\": {\"velocity\": 1}}", "unknown weight \"velocity\"");
    refused("{\"bias\": 1, \"weights\": {\"no_login\": 1, \"no_login\": 2}}",
            "weight \"no_login\" given twice");
    refused("{\"bias\": 1, \"bias\": 2}", "\"bias\" given twice");
    refused("{\"bias\": \"1\"}", "expected a number");
    refused("{\"bias\": 01}", "expected ','");
    refused("{\"bias\": 1.}", "expected a digit after '.'");
    refused("{\"bias\": 1e}", "expected a digit in the exponent");
    refused("{\"bias\": 1e999}", "number out of range");
    refused("{\"bias\": NaN}", "expected a number");
    refused("{\"bias\": 1,}", "expected '\"'");
    refused("{\"bias\": 1} x", "trailing data");
    refused("{\"bias\" 1}", "expected ':'");
    refused("{\"bias\": 1", "expected ',' at byte 10");
    refused("{\"c\": \"a\tb\"}", "control character");
    refused("{\"c\": \"\\x\"}", "bad escape");
    refused("{\"c\": \"\\u12G4\"}", "bad \\u escape");
    refused("{\"c\": \"abc", "unterminated string");
    refused("{\"c\": [1 2]}", "expected ']'");
    refused("{\"c\": tru}", "expected a number");
    refused("{\"c\": "
            "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
            "nested too deeply");
}

static void test_load_names_the_file_and_the_problem(void **state)
{
    upi_model m;
    char err[512];
    char path[] = "/tmp/upi-model-XXXXXX";
    SG_UNUSED(state);
    assert_int_equal(upi_model_load("/nonexistent/model.json", &m, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "cannot open model file /nonexistent/model.json: No such file"));
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs("{\"bias\": 1, \"weights\": {}}", f);
    fclose(f);
    assert_int_equal(upi_model_load(path, &m, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "model file /tmp/upi-model-"));
    assert_non_null(strstr(err, "missing weight \"velocity_60s\""));
    remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inputs_cap_velocity_and_take_log_of_rupees),
        cmocka_unit_test(test_score_is_the_logistic_of_the_weighted_sum),
        cmocka_unit_test(test_shipped_model_loads_and_separates_usual_from_fraud),
        cmocka_unit_test(test_other_keys_whitespace_and_escapes_are_accepted),
        cmocka_unit_test(test_malformed_models_are_refused_with_a_reason),
        cmocka_unit_test(test_load_names_the_file_and_the_problem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
