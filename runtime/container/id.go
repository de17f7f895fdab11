package container

import (
	"crypto/rand"
	"encoding/hex"
)

// randomID returns 64 hex digits, like Docker's container IDs.
// NewID returns a new random container ID.
func NewID() string { return randomID() }

func randRead(b []byte) { rand.Read(b) }

func randomID() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}
