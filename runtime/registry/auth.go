package registry

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/cli/cli/config/credentials"
	"github.com/docker/cli/cli/config/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// dockerHubKey is the key Docker keeps Docker Hub credentials under.
const dockerHubKey = "https://index.docker.io/v1/"

// ServerKey returns the registry host a login is about and the key its
// credentials are stored under in config.json: "" and the Docker Hub names
// mean Docker Hub, anything else is reduced to host[:port].
func ServerKey(server string) (host, key string, err error) {
	host = credentials.ConvertToHostname(strings.TrimSpace(server))
	switch host {
	case "", "docker.io", "index.docker.io", "registry-1.docker.io":
		return name.DefaultRegistry, dockerHubKey, nil
	}
	if _, err := name.NewRegistry(host); err != nil {
		return "", "", &Error{Op: "login", Ref: server, Kind: ErrInvalidReference, Detail: "want a registry host[:port]", Err: err}
	}
	return host, host, nil
}

// LoginOptions are the credentials to check and store, and how to reach
// the registry.
type LoginOptions struct {
	Username string
	Password string
	Hosts    *Hosts // nil: the configuration file's rules (see LoadHosts)
}

// Login checks the credentials against the registry and, when it accepts
// them, stores them in Docker's config.json ($DOCKER_CONFIG or ~/.docker),
// through the credential helper the file names if any. It returns the key
// the credentials were stored under.
func Login(ctx context.Context, server string, options LoginOptions) (string, error) {
	host, key, err := ServerKey(server)
	if err != nil {
		return "", err
	}
	if options.Username == "" || options.Password == "" {
		return "", &Error{Op: "login", Ref: host, Kind: ErrAuthRequired, Detail: "a username and a password are needed"}
	}
	if options.Hosts == nil {
		if options.Hosts, err = LoadHosts(); err != nil {
			return "", err
		}
	}
	if err := checkLogin(ctx, host, options); err != nil {
		return "", err
	}
	file, err := loadConfig()
	if err != nil {
		return "", err
	}
	auth := types.AuthConfig{Username: options.Username, Password: options.Password, ServerAddress: key}
	if err := file.GetCredentialsStore(key).Store(auth); err != nil {
		return "", fmt.Errorf("login %s: store credentials in %s: %w", host, file.Filename, err)
	}
	return key, nil
}

// checkLogin asks the registry whether it accepts the credentials: a token
// registry answers when the transport fetches its token, a basic-auth
// registry on the version check.
func checkLogin(ctx context.Context, host string, options LoginOptions) error {
	t := target{op: "login", ref: host, registry: host, repo: host, authed: true}
	var opts []name.Option
	if options.Hosts.Insecure(host) {
		opts = append(opts, name.Insecure)
	}
	reg, err := name.NewRegistry(host, opts...)
	if err != nil {
		return &Error{Op: "login", Ref: host, Kind: ErrInvalidReference, Detail: "want a registry host[:port]", Err: err}
	}
	auth := authn.FromConfig(authn.AuthConfig{Username: options.Username, Password: options.Password})
	rt, err := transport.NewWithContext(ctx, reg, auth, newTransport(options.Hosts), nil)
	if err != nil {
		return t.classify(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, reg.Scheme()+"://"+reg.RegistryStr()+"/v2/", nil)
	if err != nil {
		return err
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return t.classify(err)
	}
	defer resp.Body.Close()
	return t.classify(transport.CheckError(resp, http.StatusOK))
}

// Logout removes the stored credentials of a registry. It reports whether
// there were any.
func Logout(server string) (bool, error) {
	host, key, err := ServerKey(server)
	if err != nil {
		return false, err
	}
	file, err := loadConfig()
	if err != nil {
		return false, err
	}
	store := file.GetCredentialsStore(key)
	stored, err := store.Get(key)
	if err != nil {
		return false, fmt.Errorf("logout %s: %w", host, err)
	}
	if stored.Username == "" && stored.Password == "" && stored.IdentityToken == "" && stored.Auth == "" {
		return false, nil
	}
	if err := store.Erase(key); err != nil {
		return true, fmt.Errorf("logout %s: erase credentials from %s: %w", host, file.Filename, err)
	}
	return true, nil
}

// loadConfig reads config.json the way Docker does, refusing a malformed
// file rather than overwriting it.
func loadConfig() (*configfile.ConfigFile, error) {
	file, err := config.Load(configDir())
	if err != nil {
		return nil, err
	}
	if !file.ContainsAuth() {
		file.CredentialsStore = credentials.DetectDefaultStore(file.CredentialsStore)
	}
	return file, nil
}

// configDir is $DOCKER_CONFIG, else ~/.docker. It is read on every call, as
// the keychain that reads the credentials back does.
func configDir() string {
	if dir := os.Getenv(config.EnvOverrideConfigDir); dir != "" {
		return dir
	}
	return config.Dir()
}

// ConfigPath is the config.json logins are kept in.
func ConfigPath() string {
	return filepath.Join(configDir(), config.ConfigFileName)
}
