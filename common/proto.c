/*
 * Names of the message types, for the logs.
 */
#include <stdint.h>

#include "proto.h"

static const char *const proto_names[IMSG_TYPE_MAX] = {
};

const char *
proto_type_name(uint32_t type)
{
	if (type >= IMSG_TYPE_MAX || proto_names[type] == NULL)
		return "unknown";
	return proto_names[type];
}
