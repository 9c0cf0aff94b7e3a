module github.com/httpstep/httpstep

go 1.26.8
