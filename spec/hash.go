package spec

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// CanonicalJSON is the stable JSON form of a normalized service that its
// config hash covers: everything that shapes the container, and nothing
// that only shapes how many there are, how the image is obtained, or when
// the service starts. Left out: build, pull_policy, scale,
// deploy.replicas, depends_on, profiles, env_file and label_file (their
// contents are in environment and labels already) and the service's own x-* fields. Map keys are
// sorted and fields come in the model's order, so equal services give
// equal bytes.
func CanonicalJSON(s *Service) ([]byte, error) {
	c := *s
	c.Build = nil
	c.PullPolicy = ""
	c.Scale = nil
	if s.Deploy != nil {
		deploy := *s.Deploy
		deploy.Replicas = nil
		c.Deploy = &deploy
	}
	c.DependsOn = nil
	c.Profiles = nil
	c.EnvFiles = nil
	c.LabelFiles = nil
	c.Extensions = nil
	return json.Marshal(c)
}

// ServiceHash returns the hex sha256 of CanonicalJSON. The image ID and
// the resolved networks and volumes are not part of it: the planner adds
// them.
func ServiceHash(s *Service) (string, error) {
	b, err := CanonicalJSON(s)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
