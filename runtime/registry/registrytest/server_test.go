package registrytest

import (
	"net/http"
	"testing"
)

func TestStartAnswersRegistryAPI(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []Option
		want int
	}{
		{"anonymous", nil, http.StatusOK},
		{"htpasswd", []Option{WithBasicAuth("alice", "s3cret")}, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Start(t, tc.opts...)
			resp, err := http.Get("http://" + s.Addr + "/v2/")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.StatusCode; got != tc.want {
				t.Errorf("GET /v2/ = %d, want %d", got, tc.want)
			}
			if tc.name != "htpasswd" {
				return
			}
			req, _ := http.NewRequest("GET", "http://"+s.Addr+"/v2/", nil)
			req.SetBasicAuth("alice", "s3cret")
			resp, err = http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET /v2/ with credentials = %d, want 200\n%s", resp.StatusCode, s.Log())
			}
		})
	}
}
