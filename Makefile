# The two commands a newcomer needs: `make demo` and `make test`.
GO      ?= go
BIN     := bin/stack
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)

# Debian packages the tests, the demo and the benchmarks use.
DEB_PACKAGES := busybox-static mmdebstrap docker-registry iproute2 nftables \
	redis-tools apache2-utils python3 curl ca-certificates procps psmisc kmod \
	docker.io

.PHONY: build test demo deps vet bench clean

build:
	# Static: the binary is started twice per container (command, monitor),
	# and a static one skips the dynamic loader each time. The container's
	# init is the small cmd/stack-init, embedded (tag embedinit) from a file
	# that is generated here, never committed.
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s" -o cmd/stack/stack-init.bin ./cmd/stack-init
	CGO_ENABLED=0 $(GO) build -tags embedinit -trimpath -ldflags "-s -X main.version=$(VERSION)" -o $(BIN) ./cmd/stack

vet:
	$(GO) vet ./...
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s" -o cmd/stack/stack-init.bin ./cmd/stack-init
	$(GO) vet -tags embedinit ./cmd/stack

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
	rm -rf bin cmd/stack/stack-init.bin
