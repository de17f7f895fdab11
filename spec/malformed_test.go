package spec

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// loadString loads one stack file written to a temporary directory and
// returns the error with the directory replaced by "DIR".
func loadString(t *testing.T, content string, env map[string]string) (*Project, string) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "stack.yaml")
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if env == nil {
		env = map[string]string{}
	}
	p, err := Load(context.Background(), Options{WorkingDir: dir, Environ: env})
	if err != nil {
		return nil, strings.ReplaceAll(err.Error(), dir, "DIR")
	}
	return p, ""
}

func TestMalformed(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"tab indentation", "services:\n  web:\n\timage: nginx\n",
			"DIR/stack.yaml:3:1: tab character found; YAML is indented with spaces only"},
		{"key typo", "services:\n  web:\n    imgae: nginx\n",
			`DIR/stack.yaml:3:5: services.web.imgae: unknown key "imgae", did you mean "image"?`},
		{"top-level typo", "servces:\n  web:\n    image: nginx\n",
			`DIR/stack.yaml:1:1: servces: unknown key "servces", did you mean "services"?`},
		{"unknown key far from any", "services:\n  web:\n    image: nginx\n    frobnicate: 1\n",
			`DIR/stack.yaml:4:5: services.web.frobnicate: unknown key "frobnicate"`},
		{"ports not a list", "services:\n  web:\n    image: nginx\n    ports: \"80\"\n",
			`DIR/stack.yaml:4:12: services.web.ports: expected a list, got "80"`},
		{"image is a list", "services:\n  web:\n    image: [nginx]\n",
			`DIR/stack.yaml:3:12: services.web.image: expected a string, got a list`},
		{"host port out of range", "services:\n  web:\n    image: nginx\n    ports: [\"80000:80\"]\n",
			`DIR/stack.yaml:4:13: services.web.ports[0]: invalid port "80000:80": port 80000 is out of range 1-65535`},
		{"port ranges of different sizes", "services:\n  web:\n    image: nginx\n    ports: [\"8000-8001:80-82\"]\n",
			`DIR/stack.yaml:4:13: services.web.ports[0]: invalid port "8000-8001:80-82": host range 8000-8001 and container range 80-82 have different sizes`},
		{"unknown protocol", "services:\n  web:\n    image: nginx\n    ports: [\"80/http\"]\n",
			`DIR/stack.yaml:4:13: services.web.ports[0]: invalid port "80/http": unknown protocol "http": expected tcp, udp or sctp`},
		{"long port without target", "services:\n  web:\n    image: nginx\n    ports:\n      - published: 80\n",
			`DIR/stack.yaml:5:9: services.web.ports[0]: missing "target": expected the container port`},
		{"volume empty section", "services:\n  web:\n    image: nginx\n    volumes: [\":/data\"]\n",
			`DIR/stack.yaml:4:15: services.web.volumes[0]: invalid volume ":/data": empty section between colons`},
		{"volume relative target", "services:\n  web:\n    image: nginx\n    volumes: [\"./src:app\"]\n",
			`DIR/stack.yaml:4:15: services.web.volumes[0]: target "app" is not an absolute path`},
		{"undefined volume", "services:\n  web:\n    image: nginx\n    volumes: [\"data:/data\"]\n",
			`DIR/stack.yaml:4:15: services.web.volumes[0]: undefined volume "data": declare it under the top-level volumes`},
		{"undefined dependency", "services:\n  web:\n    image: nginx\n    depends_on: [db]\n",
			`DIR/stack.yaml:4:18: services.web.depends_on.db: depends on undefined service "db"`},
		{"dependency cycle", "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [a]\n",
			`DIR/stack.yaml:7:18: services.b.depends_on.a: dependency cycle: a -> b -> a`},
		{"undefined network", "services:\n  web:\n    image: nginx\n    networks: [front]\n",
			`DIR/stack.yaml:4:16: services.web.networks.front: undefined network "front": declare it under the top-level networks`},
		{"undefined secret", "services:\n  web:\n    image: nginx\n    secrets: [token]\n",
			`DIR/stack.yaml:4:15: services.web.secrets[0]: undefined secret "token": declare it under the top-level secrets`},
		{"required variable", "services:\n  web:\n    image: ${IMAGE:?must be set}\n",
			`DIR/stack.yaml:3:12: services.web.image: required variable IMAGE is missing a value: must be set`},
		{"required variable without message", "services:\n  web:\n    image: ${IMAGE?}\n",
			`DIR/stack.yaml:3:12: services.web.image: required variable IMAGE is missing a value`},
		{"bad duration", "services:\n  web:\n    image: nginx\n    healthcheck:\n      interval: 10x\n",
			`DIR/stack.yaml:5:17: services.web.healthcheck.interval: invalid duration "10x": expected a number with a unit (us, ms, s, m, h), like 1m30s`},
		{"duration without unit", "services:\n  web:\n    image: nginx\n    stop_grace_period: 30\n",
			`DIR/stack.yaml:4:24: services.web.stop_grace_period: invalid duration "30": expected a number with a unit (us, ms, s, m, h), like 1m30s`},
		{"bad byte size", "services:\n  web:\n    image: nginx\n    mem_limit: 12q\n",
			`DIR/stack.yaml:4:16: services.web.mem_limit: invalid byte size "12q": expected a number of bytes with an optional unit (b, k, m, g, t), like 512m`},
		{"duplicate container_name", "services:\n  a:\n    image: x\n    container_name: box\n  b:\n    image: x\n    container_name: box\n",
			`DIR/stack.yaml:7:21: services.b.container_name: container name "box" is already used by service "a"`},
		{"container_name with replicas", "services:\n  a:\n    image: x\n    container_name: box\n    deploy:\n      replicas: 3\n",
			`DIR/stack.yaml:4:21: services.a.container_name: container_name "box" cannot be used with 3 replicas: a container name is unique`},
		{"restart policy", "services:\n  a:\n    image: x\n    restart: sometimes\n",
			`DIR/stack.yaml:4:14: services.a.restart: invalid restart policy "sometimes": expected no, always, on-failure[:N] or unless-stopped`},
		{"depends_on condition", "services:\n  a:\n    image: x\n    depends_on:\n      b:\n        condition: service_ready\n  b:\n    image: x\n",
			`DIR/stack.yaml:6:20: services.a.depends_on.b.condition: invalid condition "service_ready": expected service_started, service_healthy, service_completed_successfully`},
		{"ulimit soft above hard", "services:\n  a:\n    image: x\n    ulimits:\n      nofile: {soft: 20, hard: 10}\n",
			`DIR/stack.yaml:5:15: services.a.ulimits.nofile: soft limit 20 is greater than hard limit 10`},
		{"environment value is a mapping", "services:\n  a:\n    image: x\n    environment:\n      A: {b: c}\n",
			`DIR/stack.yaml:5:10: services.a.environment.A: expected a string, a number or a boolean, got a mapping`},
		{"duplicate key", "services:\n  a:\n    image: x\n    image: y\n",
			`DIR/stack.yaml:4:5: duplicate key "image"`},
		{"empty variable name", "services:\n  a:\n    image: ${}\n",
			`DIR/stack.yaml:3:12: services.a.image: invalid interpolation format for ${}: expected a variable name`},
		{"missing closing brace", "services:\n  a:\n    image: ${IMAGE\n",
			`DIR/stack.yaml:3:12: services.a.image: invalid interpolation format in "${IMAGE": missing closing brace`},
		{"network_mode with networks", "services:\n  a:\n    image: x\n    network_mode: host\n    networks: [default]\n",
			`DIR/stack.yaml:4:19: services.a.network_mode: network_mode and networks cannot be used together`},
		{"extends undefined service", "services:\n  a:\n    extends: base\n",
			`DIR/stack.yaml:3:14: services.a.extends: extends undefined service "base"`},
		{"healthcheck test", "services:\n  a:\n    image: x\n    healthcheck:\n      test: [\"curl\", \"localhost\"]\n",
			`DIR/stack.yaml:5:13: services.a.healthcheck.test: test list must start with CMD, CMD-SHELL or NONE, got "curl"`},
		{"scale not a number", "services:\n  a:\n    image: x\n    scale: many\n",
			`DIR/stack.yaml:4:12: services.a.scale: expected an integer, got "many"`},
		{"boolean", "services:\n  a:\n    image: x\n    privileged: maybe\n",
			`DIR/stack.yaml:4:17: services.a.privileged: expected a boolean (true or false), got "maybe"`},
		{"services is a list", "services:\n  - web\n",
			`DIR/stack.yaml:2:3: services: expected a mapping, got a list`},
		{"service reference in network_mode", "services:\n  a:\n    image: x\n    network_mode: service:vpn\n",
			`DIR/stack.yaml:4:19: services.a.network_mode: refers to undefined service "vpn"`},
		{"secret without source", "services:\n  a:\n    image: x\nsecrets:\n  token: {}\n",
			`DIR/stack.yaml:5:3: secrets.token: no source: expected one of file, environment, content or external`},
		{"not a mapping", "just a string\n",
			`DIR/stack.yaml:1:1: expected a mapping at the top level, got "just a string"`},
		{"bad host IP", "services:\n  web:\n    image: nginx\n    ports: [\"300.1.1.1:80:80\"]\n",
			`DIR/stack.yaml:4:13: services.web.ports[0]: invalid host IP "300.1.1.1": expected an IPv4 or IPv6 address`},
		{"bad expose", "services:\n  web:\n    image: nginx\n    expose: [\"http\"]\n",
			`DIR/stack.yaml:4:14: services.web.expose[0]: invalid port "http": expected PORT[-PORT][/PROTOCOL]`},
		{"bad ipv4_address", "services:\n  web:\n    image: nginx\n    networks:\n      front: {ipv4_address: 10.0.0.300}\nnetworks:\n  front: {}\n",
			`DIR/stack.yaml:5:29: services.web.networks.front.ipv4_address: invalid IPv4 address "10.0.0.300"`},
		{"bad subnet", "services:\n  web:\n    image: nginx\nnetworks:\n  default:\n    ipam:\n      config:\n        - subnet: 10.0.0.0/33\n",
			`DIR/stack.yaml:8:19: networks.default.ipam.config[0].subnet: invalid subnet "10.0.0.0/33": expected an address in CIDR form, like 172.28.0.0/16`},
		{"bad project name", "name: My_App\nservices:\n  a: {image: x}\n",
			`DIR/stack.yaml:1:7: name: name "My_App" is not valid: expected lower case letters, digits, dashes and underscores, starting with a letter or a digit`},
		{"every problem at once, in file order", "services:\n  web:\n    image: nginx\n    ports: [\"0:80\"]\n    restart: sometimes\n  db:\n    imagee: postgres\n  cache:\n    command: run\n",
			`DIR/stack.yaml:4:13: services.web.ports[0]: invalid port "0:80": port 0 is out of range 1-65535` + "\n" +
				`DIR/stack.yaml:5:14: services.web.restart: invalid restart policy "sometimes": expected no, always, on-failure[:N] or unless-stopped` + "\n" +
				`DIR/stack.yaml:7:5: services.db.imagee: unknown key "imagee", did you mean "image"?` + "\n" +
				`DIR/stack.yaml:8:3: services.cache: service has neither an image nor a build context: expected image or build`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got := loadString(t, tt.yaml, nil)
			if got != tt.want {
				t.Errorf("error:\ngot:  %s\nwant: %s", got, tt.want)
			}
		})
	}
}

func loadStringWithDotenv(t *testing.T, content, dotenv string, env map[string]string) (*Project, string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(dotenv), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Load(context.Background(), Options{WorkingDir: dir, Environ: env})
	if err != nil {
		return nil, strings.ReplaceAll(err.Error(), dir, "DIR")
	}
	return p, ""
}
