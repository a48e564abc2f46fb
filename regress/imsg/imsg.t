#!/bin/sh
# The imsg library: framing, partial I/O, descriptor passing, size bounds.
cd "$(dirname "$0")" || exit 2
make -s imsgtest >/dev/null || { echo "cannot build imsgtest"; exit 1; }
exec ./imsgtest
