# The two commands a newcomer needs: `make demo` and `make test`.
GO      ?= go
BIN     := bin/stack
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)

# Debian packages the tests, the demo and the benchmarks use.
DEB_PACKAGES := busybox-static mmdebstrap docker-registry iproute2 nftables \
	redis-tools apache2-utils python3 curl ca-certificates procps psmisc kmod \
	docker.io

.PHONY: build embedded test demo deps vet bench clean

# The container's init (cmd/stack-init) and monitor (cmd/stack-monitor) are
# small binaries of their own, embedded (tag embedinit) from files that are
# generated here, never committed: the init in the monitor and in stack, the
# monitor in stack.
INIT_BIN    := cmd/internal/initbin/stack-init.bin
MONITOR_BIN := cmd/stack/stack-monitor.bin

build: embedded
	# Static: stack, its monitor and the init each start once per
	# container, and a static binary skips the dynamic loader each time.
	CGO_ENABLED=0 $(GO) build -tags embedinit -trimpath -ldflags "-s -X main.version=$(VERSION)" -o $(BIN) ./cmd/stack

embedded:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s" -o $(INIT_BIN) ./cmd/stack-init
	CGO_ENABLED=0 $(GO) build -tags embedinit -trimpath -ldflags "-s" -o $(MONITOR_BIN) ./cmd/stack-monitor

vet: embedded
	$(GO) vet ./...
	$(GO) vet -tags embedinit ./cmd/...

# The whole suite: unit tests, root integration tests on the real kernel and
# end-to-end tests that drive the built binary.
test: build vet
	STACK_BIN=$(CURDIR)/$(BIN) $(GO) test -tags embedinit -count=1 -timeout 80m ./...

deps:
	@if [ "$$(id -u)" != 0 ]; then echo "make deps: run as root (apt-get install)"; exit 1; fi
	DEBIAN_FRONTEND=noninteractive apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(DEB_PACKAGES)

demo: deps build
	./examples/flask-redis/demo.sh

bench: build
	./bench/run.sh

clean:
	rm -rf bin $(INIT_BIN) $(MONITOR_BIN)
