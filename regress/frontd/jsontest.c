/* Unit tests of frontd/json.c: escaping and layout. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

static int	 npass, nfail;

static void
expect(const char *what, struct json *j, const char *want)
{
	if (j->buf != NULL && strcmp(j->buf, want) == 0)
		npass++;
	else {
		nfail++;
		printf("not ok - %s: got %s, expected %s\n", what,
		    j->buf ? j->buf : "(null)", want);
	}
}

int
main(void)
{
	struct json	 j;
	uint8_t		 d[3] = { 0x00, 0xab, 0xff };

	json_init(&j);
	json_obj_open(&j, NULL);
	json_str(&j, "a", "q\"b\\s\n\t\x01\x7f");
	json_u64(&j, "n", 18446744073709551615ULL);
	json_i64(&j, "i", -1);
	json_hex(&j, "h", d, 3);
	json_arr_open(&j, "l");
	json_obj_open(&j, NULL);
	json_obj_close(&j);
	json_obj_open(&j, NULL);
	json_str(&j, "x", "\xc3\xa9\xff");
	json_obj_close(&j);
	json_arr_close(&j);
	json_time_ms(&j, "t", 1795514400123LL);
	json_obj_close(&j);
	expect("escapes and layout", &j, "{\"a\":\"q\\\"b\\\\s\\n\\t\\u0001"
	    "\\u007f\",\"n\":18446744073709551615,\"i\":-1,\"h\":\"00abff\","
	    "\"l\":[{},{\"x\":\"\xc3\xa9\\ufffd\"}],"
	    "\"t\":\"2026-11-24T10:00:00.123Z\"}");

	/* Reset keeps the buffer; numbers at their bounds; times of two
	 * seconds in turn and of the same second again; before 1970. */
	json_reset(&j);
	json_obj_open(&j, NULL);
	json_u64(&j, "z", 0);
	json_i64(&j, "min", INT64_MIN);
	json_i64(&j, "max", INT64_MAX);
	json_time_ms(&j, "a", 1795514400999LL);
	json_time_ms(&j, "b", 1795514401000LL);
	json_time_ms(&j, "c", 1795514400001LL);
	json_time_ms(&j, "d", -1);
	json_str(&j, "s", "plain ASCII, then \"quoted\" and \x1f");
	json_obj_close(&j);
	expect("reset, bounds, times", &j, "{\"z\":0,"
	    "\"min\":-9223372036854775808,\"max\":9223372036854775807,"
	    "\"a\":\"2026-11-24T10:00:00.999Z\","
	    "\"b\":\"2026-11-24T10:00:01.000Z\","
	    "\"c\":\"2026-11-24T10:00:00.001Z\","
	    "\"d\":\"1969-12-31T23:59:59.999Z\","
	    "\"s\":\"plain ASCII, then \\\"quoted\\\" and \\u001f\"}");
	json_free(&j);
	printf("%d passed, %d failed\n", npass, nfail);
	return nfail != 0;
}
