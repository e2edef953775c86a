package ovsdbrpc

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
)

// ParseEndpoints splits and checks a comma list of endpoints.
func ParseEndpoints(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("no database endpoint given")
	}
	var out []string
	for _, ep := range strings.Split(s, ",") {
		ep = strings.TrimSpace(ep)
		if ep == "" {
			return nil, fmt.Errorf("%s: empty endpoint in the list (a stray comma?)", s)
		}
		kind, rest, ok := strings.Cut(ep, ":")
		switch {
		case !ok || rest == "":
			return nil, fmt.Errorf("%s: invalid database endpoint (use unix:PATH, tcp:IP:PORT or ssl:IP:PORT)", ep)
		case kind == "unix":
		case kind == "tcp" || kind == "ssl":
			if i := strings.LastIndex(rest, ":"); i <= 0 || i == len(rest)-1 {
				return nil, fmt.Errorf("%s: invalid database endpoint (%s needs IP:PORT)", ep, kind)
			}
		default:
			return nil, fmt.Errorf("%s: invalid database endpoint (use unix:PATH, tcp:IP:PORT or ssl:IP:PORT)", ep)
		}
		out = append(out, ep)
	}
	return out, nil
}

// TLSFor is the TLS configuration a list of endpoints needs: nil when none
// is ssl:, else TLSConfig of the three files.
func TLSFor(endpoints []string, keyFile, certFile, caFile string) (*tls.Config, error) {
	for _, ep := range endpoints {
		if strings.HasPrefix(ep, "ssl:") {
			return TLSConfig(keyFile, certFile, caFile)
		}
	}
	return nil, nil
}

// TLSConfig loads an ovs-pki style key, certificate and CA certificate. The
// peer's certificate must chain to the CA; its name is not checked (OVS
// certificates name no host).
func TLSConfig(keyFile, certFile, caFile string) (*tls.Config, error) {
	if keyFile == "" || certFile == "" || caFile == "" {
		return nil, errors.New("ssl: endpoints need --private-key, --certificate and --ca-cert")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("%s, %s: cannot load key pair: %w", certFile, keyFile, err)
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read CA certificate: %w", caFile, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificate found", caFile)
	}
	return &tls.Config{
		Certificates:       []tls.Certificate{cert},
		InsecureSkipVerify: true, // replaced by the chain check below
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return errors.New("peer sent no certificate")
			}
			certs := make([]*x509.Certificate, len(raw))
			for i, r := range raw {
				c, err := x509.ParseCertificate(r)
				if err != nil {
					return err
				}
				certs[i] = c
			}
			inter := x509.NewCertPool()
			for _, c := range certs[1:] {
				inter.AddCert(c)
			}
			_, err := certs[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter,
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
			return err
		},
		MinVersion: tls.VersionTLS12,
	}, nil
}
