// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Runs every host unit suite. Check writes TAP to $CK_TAP_LOG_FILE_NAME (tests/unit/run
 * flattens it to "ok - unit/<suite>/<case>"); the exit status says whether all passed.
 */
#include <stdlib.h>
#include "harness.h"

int main(void)
{
	SRunner *sr = srunner_create(writer_suite());
	int failed;

	srunner_add_suite(sr, callbacks_suite());
	srunner_add_suite(sr, args_suite());
	srunner_add_suite(sr, support_suite());
	srunner_add_suite(sr, readers_suite());
	srunner_add_suite(sr, api_suite());
	srunner_add_suite(sr, compat_suite());
	srunner_add_suite(sr, buildid_suite());
	srunner_add_suite(sr, module_map_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
