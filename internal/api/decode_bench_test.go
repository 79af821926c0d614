package api

import "testing"

func BenchmarkDecodeTransfers(b *testing.B) {
	body := []byte(`{"transfers":[{"id":"019abcde-0000-7000-8000-000000000001","debit_account_id":"019abcde-0000-7000-8000-000000000002","credit_account_id":"019abcde-0000-7000-8000-000000000003","amount":1250,"currency":"CNY","code":1,"reference":"order:7"}]}`)
	b.ReportAllocs()
	for b.Loop() {
		var req TransfersRequest
		if err := decodeStrict(body, &req); err != nil {
			b.Fatal(err)
		}
	}
}
