//go:build !amd64 && !arm64

package seccomp

const nativeArch = 0

const syscallBitMask = 0

var syscallTable = [...]syscallEntry{}
