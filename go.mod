module github.com/cloacina-go/cloacina

go 1.26
