#!/bin/sh
# RUSTC_WRAPPER used while building libflux (scripts/build-influxd.sh): cargo calls it as
# `rustc-cap-lints.sh <rustc> <args...>`. It adds --cap-lints=warn to every rustc call, so lints that
# newer Rust versions added do not fail libflux's deny(warnings) build. RUSTFLAGS cannot do this:
# with --target, cargo does not pass RUSTFLAGS to host artifacts, and libflux's build script
# compiles flux-core for the host.
exec "$@" --cap-lints=warn
