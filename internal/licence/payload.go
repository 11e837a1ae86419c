package licence

import (
	"bytes"
	"crypto"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"yiwang/internal/licence/ident"
	"yiwang/internal/seal"
)

// The QR code carries a compact, self-verifying payload: the licence's key
// fields, the SM3 digest of its full data, the fingerprint of the signing
// department's certificate and that department's signature over all of
// it. A verifier with the trusted certificates needs nothing else; the
// platform adds what only it knows (revoked, annotated).
//
//	Payload ::= SEQUENCE {
//	  tbs SEQUENCE {
//	    format      INTEGER (1),
//	    identifier  UTF8String,   -- GB/T 36904 电子证照标识
//	    typeName    UTF8String,
//	    number      UTF8String,   -- 证照编号
//	    holderName  UTF8String,
//	    holderID    UTF8String,   -- masked for people, in full for companies
//	    issuerCode  UTF8String,   -- 统一社会信用代码 of the issuer
//	    issuedOn    UTF8String,   -- YYYY-MM-DD
//	    validTo     UTF8String,   -- YYYY-MM-DD, or empty for 长期
//	    signedAt    INTEGER,      -- Unix seconds, when the department signed
//	    dataHash    OCTET STRING, -- SM3 of the canonical licence data
//	    signer      OCTET STRING  -- first 8 bytes of the SM3 fingerprint of the signer's certificate
//	  },
//	  signature OCTET STRING }    -- SM2-with-SM3 (or ECDSA P-256) by the department
//
// As text it is PayloadPrefix followed by the DER in unpadded base64url; the
// QR code holds the public verification URL with that text as its p
// parameter, so a phone camera opens the verification page.
type Payload struct {
	Identifier string
	TypeName   string
	Number     string
	HolderName string
	HolderID   string
	IssuerCode string
	IssuedOn   string
	ValidTo    string
	SignedAt   time.Time
	DataHash   [seal.DigestSize]byte
	Signer     [signerIDSize]byte
	Signature  []byte
	tbs        []byte
}

// PayloadPrefix starts every payload text (format 1).
const PayloadPrefix = "YWL1."

const (
	payloadFormat = 1
	signerIDSize  = 8
	maxPayloadLen = 1200 // characters of text: far more than any real payload
)

type payloadDER struct {
	TBS       asn1.RawValue
	Signature []byte
}

type payloadTBS struct {
	Format     int
	Identifier string `asn1:"utf8"`
	TypeName   string `asn1:"utf8"`
	Number     string `asn1:"utf8"`
	HolderName string `asn1:"utf8"`
	HolderID   string `asn1:"utf8"`
	IssuerCode string `asn1:"utf8"`
	IssuedOn   string `asn1:"utf8"`
	ValidTo    string `asn1:"utf8"`
	SignedAt   int64
	DataHash   []byte
	Signer     []byte
}

// errPayload is every malformed payload, told apart by its detail.
var errPayload = errors.New("二维码内容不是本平台的电子证照核验码")

// signPayload makes the payload text for p, signed by key whose
// certificate has the given fingerprint.
func signPayload(p *Payload, key crypto.Signer, fingerprint [32]byte) (string, error) {
	copy(p.Signer[:], fingerprint[:signerIDSize])
	tbs, err := asn1.Marshal(p.tbsDER())
	if err != nil {
		return "", fmt.Errorf("licence: encode payload: %w", err)
	}
	sig, err := seal.SignMessage(key, tbs)
	if err != nil {
		return "", err
	}
	der, err := asn1.Marshal(payloadDER{TBS: asn1.RawValue{FullBytes: tbs}, Signature: sig})
	if err != nil {
		return "", fmt.Errorf("licence: encode payload: %w", err)
	}
	p.Signature, p.tbs = sig, tbs
	return PayloadPrefix + base64.RawURLEncoding.EncodeToString(der), nil
}

func (p *Payload) tbsDER() payloadTBS {
	return payloadTBS{Format: payloadFormat, Identifier: p.Identifier, TypeName: p.TypeName, Number: p.Number,
		HolderName: p.HolderName, HolderID: p.HolderID, IssuerCode: p.IssuerCode, IssuedOn: p.IssuedOn,
		ValidTo: p.ValidTo, SignedAt: p.SignedAt.Unix(), DataHash: p.DataHash[:], Signer: p.Signer[:]}
}

// PayloadText finds the payload in what a person scanned or pasted: the
// verification URL (its p parameter), or the payload text itself, with
// surrounding white space ignored.
func PayloadText(in string) (string, error) {
	in = strings.TrimSpace(in)
	if in == "" {
		return "", fmt.Errorf("%w：内容为空", errPayload)
	}
	if len(in) > maxPayloadLen+200 {
		return "", fmt.Errorf("%w：内容过长", errPayload)
	}
	if strings.HasPrefix(in, "http://") || strings.HasPrefix(in, "https://") {
		u, err := url.Parse(in)
		if err != nil {
			return "", fmt.Errorf("%w：不是有效的网址", errPayload)
		}
		in = u.Query().Get("p")
		if in == "" {
			return "", fmt.Errorf("%w：网址中没有核验码", errPayload)
		}
	}
	return in, nil
}

// ParsePayload decodes payload text and checks its format, not its
// signature (that needs the trusted certificates: verifyPayload).
func ParsePayload(text string) (*Payload, error) {
	rest, ok := strings.CutPrefix(text, PayloadPrefix)
	if !ok {
		return nil, fmt.Errorf("%w：开头不是 %s", errPayload, PayloadPrefix)
	}
	if len(rest) > maxPayloadLen {
		return nil, fmt.Errorf("%w：内容过长", errPayload)
	}
	der, err := base64.RawURLEncoding.Strict().DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("%w：编码已损坏", errPayload)
	}
	if base64.RawURLEncoding.EncodeToString(der) != rest {
		return nil, fmt.Errorf("%w：编码已损坏", errPayload)
	}
	var pd payloadDER
	if r, err := asn1.Unmarshal(der, &pd); err != nil || len(r) != 0 {
		return nil, fmt.Errorf("%w：结构已损坏", errPayload)
	}
	var t payloadTBS
	if r, err := asn1.Unmarshal(pd.TBS.FullBytes, &t); err != nil || len(r) != 0 {
		return nil, fmt.Errorf("%w：结构已损坏", errPayload)
	}
	// One byte form only: the signed part and the whole re-encode to exactly
	// what was given.
	tbsAgain, err := asn1.Marshal(t)
	if err != nil || !bytes.Equal(tbsAgain, pd.TBS.FullBytes) {
		return nil, fmt.Errorf("%w：不是规范编码", errPayload)
	}
	again, err := asn1.Marshal(payloadDER{TBS: asn1.RawValue{FullBytes: tbsAgain}, Signature: pd.Signature})
	if err != nil || !bytes.Equal(again, der) {
		return nil, fmt.Errorf("%w：不是规范编码", errPayload)
	}
	if t.Format != payloadFormat {
		return nil, fmt.Errorf("%w：格式版本不受支持", errPayload)
	}
	if len(t.DataHash) != seal.DigestSize || len(t.Signer) != signerIDSize || len(pd.Signature) == 0 {
		return nil, fmt.Errorf("%w：摘要或签名长度不对", errPayload)
	}
	if _, err := ident.Parse(t.Identifier); err != nil {
		return nil, fmt.Errorf("%w：证照标识无效（%s）", errPayload, err)
	}
	p := &Payload{Identifier: t.Identifier, TypeName: t.TypeName, Number: t.Number, HolderName: t.HolderName,
		HolderID: t.HolderID, IssuerCode: t.IssuerCode, IssuedOn: t.IssuedOn, ValidTo: t.ValidTo,
		SignedAt: time.Unix(t.SignedAt, 0).UTC(), Signature: pd.Signature, tbs: pd.TBS.FullBytes}
	copy(p.DataHash[:], t.DataHash)
	copy(p.Signer[:], t.Signer)
	return p, nil
}

// verifySignature checks the payload's signature with cert.
func (p *Payload) verifySignature(cert *seal.Certificate) bool {
	return seal.VerifyMessage(cert, p.tbs, p.Signature)
}
