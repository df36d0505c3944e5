/* CMocka assertions the tests share; include after <cmocka.h>. */
#ifndef GDLEARN_TS_ASSERT_H
#define GDLEARN_TS_ASSERT_H

/* value < bound, printing both when it is not. */
#define assert_below(value, bound)                                                   \
    do {                                                                             \
        double value_ = (value);                                                     \
        if (!(value_ < (bound))) {                                                   \
            print_error("%s = %g, not below %g\n", #value, value_, (double)(bound)); \
        }                                                                            \
        assert_true(value_ < (bound));                                               \
    } while (0)

#endif /* GDLEARN_TS_ASSERT_H */
