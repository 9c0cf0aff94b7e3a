package httpstep_test

import (
	"fmt"

	"github.com/httpstep/httpstep"
)

// A payment provider notifies in XML: read as an answer, its fields are
// at the paths of the XML's JSON tree.
func ExampleCallbackResult() {
	body := []byte(`<xml><return_code><![CDATA[SUCCESS]]></return_code><out_trade_no>1217752501201407033233368018</out_trade_no><total_fee>1</total_fee></xml>`)
	res, notes := httpstep.CallbackResult("text/xml", body, 0)
	fmt.Println(res.Get("xml.return_code"), res.Get("xml.out_trade_no"), res.Get("xml.total_fee").Int(), len(notes))
	// Output: SUCCESS 1217752501201407033233368018 1 0
}
