package container

import (
	"crypto/rand"
	"encoding/hex"
)

// randomID returns 64 hex digits, like Docker's container IDs.
func randomID() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}
