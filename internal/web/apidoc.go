package web

import (
	"net/http"
	"reflect"
	"sort"
	"strings"
	"time"
)

// apiRoute documents one API route. Routes are registered only through
// s.api, so the OpenAPI document is generated from the same table the
// router uses and cannot list a route that does not exist (a test checks
// the reverse: that every /api/ pattern on the mux is documented).
type apiRoute struct {
	Method   string
	Path     string
	Summary  string
	Tag      string
	Auth     authNeed
	Query    []param
	Request  any // zero value of the request body type, or nil
	Response any // zero value of the 2xx body type, or nil for no body
	Status   int // success status (200 when 0)
	Errors   []int
	// Multipart documents a multipart/form-data request body (an upload)
	// instead of a JSON one.
	Multipart []formPart
}

type authNeed int

const (
	authNone authNeed = iota
	authOptional
	authRequired
)

type param struct {
	Name, Desc string
	Required   bool
}

// formPart is one part of a multipart/form-data request body.
type formPart struct {
	Name, Desc string
	Required   bool
	File       bool // a file's bytes rather than a text value
}

// apiHandler returns an error to answer in the API error shape.
type apiHandler func(w http.ResponseWriter, r *http.Request) error

func (s *Server) api(rt apiRoute, h apiHandler) {
	if rt.Status == 0 {
		rt.Status = http.StatusOK
	}
	s.routes = append(s.routes, rt)
	s.mux.HandleFunc(rt.Method+" "+rt.Path, func(w http.ResponseWriter, r *http.Request) {
		if rt.Auth == authRequired && principal(r) == nil {
			s.apiFail(w, r, errLoginRequired)
			return
		}
		if err := h(w, r); err != nil {
			s.apiFail(w, r, err)
		}
	})
}

// OpenAPI builds the OpenAPI 3.1 document of every registered API route.
func (s *Server) OpenAPI() map[string]any {
	schemas := map[string]any{
		"Error": map[string]any{
			"type": "object", "required": []string{"error"},
			"properties": map[string]any{"error": map[string]any{
				"type": "object", "required": []string{"code", "message"},
				"properties": map[string]any{
					"code":      map[string]any{"type": "string", "enum": []string{"invalid", "not_found", "conflict", "forbidden", "unauthenticated", "too_large", "rate_limited", "method_not_allowed", "internal"}},
					"message":   map[string]any{"type": "string", "description": "给用户看的中文说明"},
					"fields":    map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}},
					"requestId": map[string]any{"type": "string"},
				},
			}},
		},
	}
	paths := map[string]any{}
	for _, rt := range s.routes {
		op := map[string]any{"summary": rt.Summary, "operationId": operationID(rt), "tags": []string{rt.Tag}}
		var params []any
		for _, seg := range strings.Split(rt.Path, "/") {
			if strings.HasPrefix(seg, "{") {
				name := strings.Trim(seg, "{}.")
				params = append(params, map[string]any{"name": name, "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
			}
		}
		for _, q := range rt.Query {
			params = append(params, map[string]any{"name": q.Name, "in": "query", "required": q.Required, "description": q.Desc, "schema": map[string]any{"type": "string"}})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if rt.Request != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(rt.Request), schemas)},
			}}
		}
		if len(rt.Multipart) > 0 {
			props := map[string]any{}
			var required []string
			for _, p := range rt.Multipart {
				sc := map[string]any{"type": "string", "description": p.Desc}
				if p.File {
					sc["contentMediaType"] = "application/octet-stream"
					sc["format"] = "binary"
				}
				props[p.Name] = sc
				if p.Required {
					required = append(required, p.Name)
				}
			}
			schema := map[string]any{"type": "object", "properties": props}
			if len(required) > 0 {
				schema["required"] = required
			}
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"multipart/form-data": map[string]any{"schema": schema},
			}}
		}
		responses := map[string]any{}
		ok := map[string]any{"description": http.StatusText(rt.Status)}
		if rt.Response != nil {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(rt.Response), schemas)}}
		}
		responses[itoa(rt.Status)] = ok
		errs := append([]int{}, rt.Errors...)
		if rt.Auth == authRequired {
			errs = append(errs, http.StatusUnauthorized)
			op["security"] = []any{map[string]any{"bearer": []string{}}}
		}
		if rt.Request != nil || len(rt.Multipart) > 0 {
			errs = append(errs, http.StatusBadRequest, http.StatusRequestEntityTooLarge)
		}
		errs = append(errs, http.StatusInternalServerError)
		for _, code := range errs {
			responses[itoa(code)] = map[string]any{"description": http.StatusText(code),
				"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
		}
		op["responses"] = responses
		item, _ := paths[rt.Path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.Path] = item
		}
		item[strings.ToLower(rt.Method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title": "yiwang 一体化在线政务服务平台 API", "version": s.Version,
			"description": "所有错误都以 {\"error\": {\"code\", \"message\"}} 返回。先 POST /api/v1/login 取得令牌，再以 Authorization: Bearer <token> 调用。",
		},
		"paths": paths,
		"components": map[string]any{
			"schemas":         schemas,
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
		},
	}
}

func operationID(rt apiRoute) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(rt.Method))
	for _, seg := range strings.Split(strings.TrimPrefix(rt.Path, "/api/v1/"), "/") {
		seg = strings.Trim(seg, "{}.")
		if seg == "" {
			continue
		}
		b.WriteString(strings.ToUpper(seg[:1]) + seg[1:])
	}
	return b.String()
}

var timeType = reflect.TypeOf(time.Time{})

// schemaOf derives a JSON Schema from a Go type through its json tags;
// named structs go to components and are referenced.
func schemaOf(t reflect.Type, defs map[string]any) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), defs)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), defs)}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		name := t.Name()
		if name != "" {
			if _, done := defs[name]; !done {
				defs[name] = map[string]any{} // break recursion
				defs[name] = structSchema(t, defs)
			}
			return map[string]any{"$ref": "#/components/schemas/" + name}
		}
		return structSchema(t, defs)
	}
	return map[string]any{}
}

func structSchema(t reflect.Type, defs map[string]any) map[string]any {
	props := map[string]any{}
	var required []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				walk(f.Type)
				continue
			}
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if name == "" {
				name = f.Name
			}
			props[name] = schemaOf(f.Type, defs)
			if !strings.Contains(opts, "omitempty") {
				required = append(required, name)
			}
		}
	}
	walk(t)
	sort.Strings(required)
	out := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}

// APIPatterns lists the "METHOD /path" patterns of every registered API
// route (for the test that keeps the OpenAPI document true).
func (s *Server) APIPatterns() []string {
	out := make([]string, 0, len(s.routes))
	for _, rt := range s.routes {
		out = append(out, rt.Method+" "+rt.Path)
	}
	return out
}
