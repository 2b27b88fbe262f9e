// Command kube-identity reads certificate signing requests the way a Kubernetes
// cluster does and prints the identity each would authenticate as. It runs the
// cluster's own Go code, unchanged: the API server's validation of a new CSR, the
// kube-controller-manager signer's authority (which copies the subject into the
// certificate), and the API server's client-certificate authenticator.
//
// Input: one JSON object a line, {"name": "...", "der": "<base64 of the CSR's DER>"}.
// Output: one JSON object a line, {"name", "outcome", "username", "groups", "error"},
// where outcome is "identity", "unauthenticated" (the certificate names no user) or
// "refused" (the cluster would not create, sign or read it; error says where).
//
// CertDesk's differential test (e2e/tests/cluster/names.rs) compares shared::subject's
// reading with this program's.
package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"time"

	capi "k8s.io/api/certificates/v1"
	x509request "k8s.io/apiserver/pkg/authentication/request/x509"
	"k8s.io/kubernetes/pkg/apis/certificates"
	"k8s.io/kubernetes/pkg/apis/certificates/validation"
	"k8s.io/kubernetes/pkg/controller/certificates/authority"
)

type input struct {
	Name string `json:"name"`
	DER  string `json:"der"`
}

type output struct {
	Name     string   `json:"name"`
	Outcome  string   `json:"outcome"`
	Username string   `json:"username,omitempty"`
	Groups   []string `json:"groups,omitempty"`
	Error    string   `json:"error,omitempty"`
}

func main() {
	ca, err := newAuthority()
	if err != nil {
		fmt.Fprintln(os.Stderr, "kube-identity:", err)
		os.Exit(1)
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var line input
		if err := json.Unmarshal(in.Bytes(), &line); err != nil {
			fmt.Fprintln(os.Stderr, "kube-identity: a line is not JSON:", err)
			os.Exit(1)
		}
		der, err := base64.StdEncoding.DecodeString(line.DER)
		if err != nil {
			fmt.Fprintln(os.Stderr, "kube-identity: der is not base64:", err)
			os.Exit(1)
		}
		answer := read(ca, der)
		answer.Name = line.Name
		if err := out.Encode(answer); err != nil {
			os.Exit(1)
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "kube-identity:", err)
		os.Exit(1)
	}
}

// read follows one CSR from creation to authentication.
func read(ca *authority.CertificateAuthority, der []byte) output {
	request := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
	expiration := int32(3600)
	csr := &certificates.CertificateSigningRequest{
		Spec: certificates.CertificateSigningRequestSpec{
			Request:           request,
			SignerName:        certificates.KubeAPIServerClientSignerName,
			Usages:            []certificates.KeyUsage{certificates.UsageDigitalSignature, certificates.UsageClientAuth},
			ExpirationSeconds: &expiration,
		},
	}
	csr.Name = "differential"
	if errs := validation.ValidateCertificateSigningRequestCreate(csr); len(errs) > 0 {
		return output{Outcome: "refused", Error: "create: " + errs.ToAggregate().Error()}
	}
	signed, err := ca.Sign(der, authority.PermissiveSigningPolicy{
		TTL:      time.Hour,
		Usages:   []capi.KeyUsage{capi.UsageDigitalSignature, capi.UsageClientAuth},
		Backdate: 5 * time.Minute,
		Short:    8 * time.Hour,
	})
	if err != nil {
		return output{Outcome: "refused", Error: "sign: " + err.Error()}
	}
	certificate, err := x509.ParseCertificate(signed)
	if err != nil {
		return output{Outcome: "refused", Error: "authenticate: " + err.Error()}
	}
	response, ok, err := x509request.CommonNameUserConversion.User([]*x509.Certificate{certificate})
	if err != nil {
		return output{Outcome: "refused", Error: "authenticate: " + err.Error()}
	}
	if !ok {
		return output{Outcome: "unauthenticated"}
	}
	groups := response.User.GetGroups()
	if groups == nil {
		groups = []string{}
	}
	return output{Outcome: "identity", Username: response.User.GetName(), Groups: groups}
}

// newAuthority makes a throwaway CA, as a cluster's signing CA.
func newAuthority() (*authority.CertificateAuthority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	template := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kube-identity differential CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	certificate, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &authority.CertificateAuthority{Certificate: certificate, PrivateKey: key}, nil
}
