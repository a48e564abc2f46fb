#!/bin/sh
# The libevent glue: writes flushed in the loop pass that composed them,
# a full socket waited for, a link let go never called back.
cd "$(dirname "$0")" || exit 2
make -s imsgevtest >/dev/null || { echo "cannot build imsgevtest"; exit 1; }
exec ./imsgevtest
