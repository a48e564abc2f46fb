#!/bin/sh
# The crash campaign's quick mode (make crash runs 1000 rounds): 200
# kills of a random process of the vault under load, 4 of them
# failovers to the synchronous standby, every acknowledged event
# checked after each round and at the end.
exec "$(dirname "$0")/campaign" -f "${CRASH_FAILOVERS:-4}" "${CRASH_ROUNDS:-200}"
