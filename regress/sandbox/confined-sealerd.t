#!/bin/sh
# sealerd started as root runs confined: see confined.sh.
exec "$(dirname "$0")/confined.sh" sealerd
