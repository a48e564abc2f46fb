#!/bin/sh
# The message reader and the dispatch tables (common/msg.c): exact
# lengths, short and long payloads, unterminated strings, senders,
# descriptors, unknown types.
cd "$(dirname "$0")" || exit 2
make -s msgtest >/dev/null || { echo "cannot build msgtest"; exit 1; }
exec ./msgtest
