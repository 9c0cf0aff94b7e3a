module github.com/httpstep/httpstep

go 1.26.8

require (
	code.dny.dev/ssrf v0.3.0
	github.com/stretchr/testify v1.12.1
	go.uber.org/goleak v1.3.0
	golang.org/x/net v0.62.0
)

require go.yaml.in/yaml/v3 v3.0.5 // indirect
