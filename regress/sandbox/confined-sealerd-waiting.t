#!/bin/sh
# sealerd started as root without its PKCS#11 module runs confined while
# it waits (its user, Seccomp: 2), then loads the module when it appears,
# opens the token and stacks the steady-state filter: see confined.sh.
exec "$(dirname "$0")/confined.sh" sealerd waiting
