// The pause binary of every pod sandbox, built here so no image is pulled from outside.
module cyrop.local/build/pause

go 1.24.0
