package registry

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"stack/runtime/registry/registrytest"
)

// TestLoginPushLogout logs in to a registry with htpasswd authentication,
// pushes and pulls with the stored login the way Docker would find it, and
// logs out again.
func TestLoginPushLogout(t *testing.T) {
	ctx := context.Background()
	srv := registrytest.Start(t, registrytest.WithBasicAuth("alice", "s3cret"))
	dockerConfig := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dockerConfig)
	configPath := filepath.Join(dockerConfig, "config.json")

	_, err := Login(ctx, srv.Addr, LoginOptions{Username: "alice", Password: "wrong"})
	if !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("login with a wrong password: %v, want ErrBadCredentials", err)
	}
	if _, err := os.Stat(configPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a rejected login wrote %s (stat: %v)", configPath, err)
	}
	if _, err := Login(ctx, closedAddr(t), LoginOptions{Username: "alice", Password: "s3cret"}); !errors.Is(err, ErrUnreachable) {
		t.Errorf("login to a closed port: %v, want ErrUnreachable", err)
	}

	key, err := Login(ctx, "http://"+srv.Addr, LoginOptions{Username: "alice", Password: "s3cret"})
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if key != srv.Addr {
		t.Errorf("login key %q, want %q", key, srv.Addr)
	}
	var file struct {
		Auths map[string]struct{ Auth string } `json:"auths"`
	}
	readJSON(t, configPath, &file)
	if file.Auths[srv.Addr].Auth != "YWxpY2U6czNjcmV0" { // base64("alice:s3cret")
		t.Errorf("config.json auths = %+v, want alice's login under %s", file.Auths, srv.Addr)
	}

	store := newStore(t)
	ref := srv.Addr + "/private:v1"
	if _, err := store.Put(ctx, busybox(t), ref); err != nil {
		t.Fatal(err)
	}
	if _, err := Push(ctx, store, ref, Options{}); err != nil {
		t.Fatalf("push with the stored login: %v", err)
	}
	if _, err := Pull(ctx, newStore(t), ref, Options{}); err != nil {
		t.Fatalf("pull with the stored login: %v", err)
	}

	for _, want := range []bool{true, false} {
		got, err := Logout(srv.Addr)
		if err != nil || got != want {
			t.Errorf("logout = %v, %v; want %v, nil", got, err, want)
		}
	}
	if _, err := Pull(ctx, newStore(t), ref, Options{}); !errors.Is(err, ErrAuthRequired) {
		t.Errorf("pull after logout: %v, want ErrAuthRequired", err)
	}
}

// TestLoginThroughCredentialHelper stores and finds the login through the
// helper config.json names, as Docker does.
func TestLoginThroughCredentialHelper(t *testing.T) {
	ctx := context.Background()
	srv := registrytest.Start(t, registrytest.WithBasicAuth("bob", "hunter2"))
	dockerConfig, bin := t.TempDir(), t.TempDir()
	t.Setenv("DOCKER_CONFIG", dockerConfig)
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	secrets := filepath.Join(bin, "secrets")
	// A helper speaking the credential-helper protocol, keeping one secret
	// per server in a directory.
	helper := `#!/bin/sh
set -e
dir=` + secrets + `
mkdir -p "$dir"
case "$1" in
store) cat >"$dir/last"; server=$(sed 's/.*"ServerURL":"\([^"]*\)".*/\1/' "$dir/last"); mv "$dir/last" "$dir/$(echo "$server" | tr / _)";;
get) server=$(cat); f="$dir/$(echo "$server" | tr / _)"; if [ -f "$f" ]; then cat "$f"; else echo "credentials not found in native keychain"; exit 1; fi;;
erase) server=$(cat); rm -f "$dir/$(echo "$server" | tr / _)";;
list) echo '{}';;
esac
`
	if err := os.WriteFile(filepath.Join(bin, "docker-credential-stacktest"), []byte(helper), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dockerConfig, "config.json"), []byte(`{"credsStore":"stacktest"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Login(ctx, srv.Addr, LoginOptions{Username: "bob", Password: "hunter2"}); err != nil {
		t.Fatalf("login: %v", err)
	}
	data, err := os.ReadFile(filepath.Join(dockerConfig, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "hunter2") || strings.Contains(string(data), "Ym9iOmh1bnRlcjI") {
		t.Errorf("config.json holds the secret although a helper is configured:\n%s", data)
	}
	store := newStore(t)
	ref := srv.Addr + "/helped:v1"
	if _, err := store.Put(ctx, busybox(t), ref); err != nil {
		t.Fatal(err)
	}
	if _, err := Push(ctx, store, ref, Options{}); err != nil {
		t.Fatalf("push with the helper's login: %v", err)
	}
	if ok, err := Logout(srv.Addr); !ok || err != nil {
		t.Errorf("logout = %v, %v; want true, nil", ok, err)
	}
	if _, err := Push(ctx, store, ref, Options{}); !errors.Is(err, ErrAuthRequired) {
		t.Errorf("push after logout: %v, want ErrAuthRequired", err)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
