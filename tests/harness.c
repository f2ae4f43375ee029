#include <stdlib.h>

#include "harness.h"

int harness_failed_checks;
int harness_passed, harness_failed;
const char *harness_filter;

void harness_run(const char *name, void (*fn)(void))
{
	int before = harness_failed_checks;
	if (harness_filter && !strstr(name, harness_filter))
		return;
	fn();
	if (harness_failed_checks != before) {
		harness_failed++;
		fprintf(stderr, "FAIL %s\n", name);
	} else {
		harness_passed++;
	}
}

/* argv[1], if given, runs only the tests whose name contains it. */
int harness_main(int argc, char **argv, void (*suites)(void))
{
	harness_filter = argc > 1 ? argv[1] : NULL;
	suites();
	printf("%d passed, %d failed\n", harness_passed, harness_failed);
	return harness_failed ? 1 : 0;
}
