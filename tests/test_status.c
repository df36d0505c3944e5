/* Status and stop-reason names, and the version string. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <gdlearn/gdlearn.h>

static void test_status__every_status_has_a_distinct_message(void **state)
{
    (void)state;
    const char *unknown = "unknown status";
    for (int i = 0; i < GD_STATUS_COUNT; ++i) {
        const char *message = gd_strerror((gd_status)i);
        assert_non_null(message);
        assert_true(strlen(message) > 0);
        assert_string_not_equal(message, unknown);
        assert_null(strchr(message, '\n')); /* one line, for the CLI's error line */
        for (int j = 0; j < i; ++j) {
            assert_string_not_equal(message, gd_strerror((gd_status)j));
        }
    }
    assert_string_equal(gd_strerror(GD_OK), "success");
}

static void test_status__out_of_range_status_is_unknown(void **state)
{
    (void)state;
    assert_string_equal(gd_strerror((gd_status)GD_STATUS_COUNT), "unknown status");
    assert_string_equal(gd_strerror((gd_status)1000), "unknown status");
    assert_string_equal(gd_strerror((gd_status)-1), "unknown status");
}

/* The enum's fixed values are part of the ABI (append-only). */
static void test_status__values_are_fixed(void **state)
{
    (void)state;
    assert_int_equal(GD_OK, 0);
    assert_int_equal(GD_ERR_NULL, 1);
    assert_int_equal(GD_ERR_SIZE, 2);
    assert_int_equal(GD_ERR_OVERFLOW, 3);
    assert_int_equal(GD_ERR_NONFINITE, 4);
    assert_int_equal(GD_ERR_OPTION, 5);
    assert_int_equal(GD_ERR_NOMEM, 6);
    assert_int_equal(GD_ERR_LABEL, 7);
    assert_int_equal(GD_ERR_WEIGHT, 8);
    assert_int_equal(GD_ERR_DIVERGED, 9);
    assert_int_equal(GD_ERR_MODEL, 10);
    assert_int_equal(GD_ERR_LINE_SEARCH, 11);
    assert_int_equal(GD_ERR_IO, 12);
    assert_int_equal(GD_ERR_PARSE, 13);
    assert_int_equal(GD_ERR_FORMAT, 14);
    assert_int_equal(GD_ERR_VERSION, 15);
    assert_int_equal(GD_ERR_EMPTY, 16);
    assert_int_equal(GD_ERR_CALLBACK, 17);
    assert_int_equal(GD_STATUS_COUNT, 18);
}

/* The CLI's JSON "status" values (DESIGN §4) come from here. */
static void test_status__stop_names(void **state)
{
    (void)state;
    assert_string_equal(gd_stop_name(GD_STOP_CONVERGED), "converged");
    assert_string_equal(gd_stop_name(GD_STOP_MAX_ITER), "max_iter");
    assert_string_equal(gd_stop_name(GD_STOP_DIVERGED), "diverged");
    assert_string_equal(gd_stop_name(GD_STOP_CALLBACK), "stopped");
    assert_string_equal(gd_stop_name(GD_STOP_LOSS_CHANGE), "loss_change");
    assert_string_equal(gd_stop_name(GD_STOP_MAX_EPOCHS), "max_epochs");
    assert_string_equal(gd_stop_name(GD_STOP_LINE_SEARCH), "line_search");
    assert_string_equal(gd_stop_name(GD_STOP_ERROR), "error");
    assert_string_equal(gd_stop_name(GD_STOP_NONE), "none");
    const char *unknown = gd_stop_name((gd_stop)99);
    assert_non_null(unknown);
    for (int i = 0; i <= GD_STOP_ERROR; ++i) {
        assert_string_not_equal(unknown, gd_stop_name((gd_stop)i));
    }
}

static void test_status__version_matches_the_header(void **state)
{
    (void)state;
    assert_non_null(gd_version());
    assert_string_equal(gd_version(), GDLEARN_VERSION_STRING);
    /* "MAJOR.MINOR.PATCH": digits and exactly two dots */
    const char *v = gd_version();
    int dots = 0;
    for (const char *p = v; *p != '\0'; ++p) {
        if (*p == '.') {
            dots += 1;
        } else {
            assert_true(*p >= '0' && *p <= '9');
        }
    }
    assert_int_equal(dots, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status__every_status_has_a_distinct_message),
        cmocka_unit_test(test_status__out_of_range_status_is_unknown),
        cmocka_unit_test(test_status__values_are_fixed),
        cmocka_unit_test(test_status__stop_names),
        cmocka_unit_test(test_status__version_matches_the_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
