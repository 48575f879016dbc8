{{/*
Names, labels and per-service facts shared by the templates.
A "service context" is a dict: root (the chart's top context), name (user, point, department, beer), svc (its values).
*/}}

{{/* Prefix of every object name; short enough that "-department-headless" still fits in 63 characters. */}}
{{- define "mesh.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- end }}

{{- define "mesh.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{/* Labels on every object. */}}
{{- define "mesh.labels" -}}
helm.sh/chart: {{ include "mesh.chart" . }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: {{ .Chart.Name }}
{{- end }}

{{/* Selector labels of one component (a service, postgresql, health-check); context: dict root, component. */}}
{{- define "mesh.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Labels of a component's objects: the common labels plus its selector labels. */}}
{{- define "mesh.componentLabels" -}}
{{ include "mesh.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* The fully qualified gRPC service name of a mesh service, as its health status is registered. */}}
{{- define "mesh.grpcService" -}}
{{- $names := dict "user" "mesh.user.v1.UserService" "point" "mesh.point.v1.PointService" "department" "mesh.department.v1.DepartmentService" "beer" "mesh.beer.v1.BeerService" -}}
{{- get $names . -}}
{{- end }}

{{/* Space-separated services that a service calls. */}}
{{- define "mesh.upstreamsOf" -}}
{{- $upstreams := dict "user" "point department" "department" "user point" "point" "" "beer" "" -}}
{{- get $upstreams . -}}
{{- end }}

{{/* Space-separated services that call a service (the inverse of mesh.upstreamsOf). */}}
{{- define "mesh.callersOf" -}}
{{- $callers := dict "user" "department" "point" "user department" "department" "user" "beer" "" -}}
{{- get $callers . -}}
{{- end }}

{{/* The ports of a service: its own overrides over the shared ports; a YAML dict. Context: service context. */}}
{{- define "mesh.ports" -}}
{{- toYaml (merge (deepCopy (default (dict) .svc.ports)) .root.Values.ports) -}}
{{- end }}

{{/* The image reference of a service. Context: service context. */}}
{{- define "mesh.image" -}}
{{- $img := merge (deepCopy (default (dict) .svc.image)) .root.Values.image -}}
{{- if $img.ref -}}
{{- $img.ref -}}
{{- else if $img.digest -}}
{{- printf "%s@%s" $img.repository $img.digest -}}
{{- else -}}
{{- printf "%s:%s" $img.repository (default .root.Chart.AppVersion $img.tag) -}}
{{- end -}}
{{- end }}

{{- define "mesh.imagePullPolicy" -}}
{{- (merge (deepCopy (default (dict) .svc.image)) .root.Values.image).pullPolicy -}}
{{- end }}

{{/* Address of an upstream: the override in .Values.upstreams, else the in-chart headless Service. */}}
{{- define "mesh.upstreamAddress" -}}
{{- $root := .root -}}
{{- $override := get $root.Values.upstreams .name -}}
{{- if $override -}}
{{- $override -}}
{{- else -}}
{{- $ports := fromYaml (include "mesh.ports" (dict "root" $root "svc" (get $root.Values.services .name))) -}}
{{- printf "dns:///%s-%s-headless.%s.svc.%s:%d" (include "mesh.fullname" $root) .name $root.Release.Namespace $root.Values.clusterDomain ($ports.grpc | int) -}}
{{- end -}}
{{- end }}

{{/* Whether the service migrates at start itself ("true"/"false"). */}}
{{- define "mesh.migrateOnStart" -}}
{{- if eq .Values.migrations.mode "onStart" }}true{{ else }}false{{ end -}}
{{- end }}

{{/*
The environment of one service (its ConfigMap's data). Every service gets the same port numbers.
Context: service context.
*/}}
{{- define "mesh.configData" -}}
{{- $root := .root -}}
{{- $c := $root.Values.config -}}
{{- $p := upper .name -}}
{{- $ports := fromYaml (include "mesh.ports" .) -}}
{{ $p }}_HOST: "0.0.0.0"
{{ $p }}_PORT: {{ $ports.grpc | int64 | toString | quote }}
{{ $p }}_HTTP_PORT: {{ $ports.http | int64 | toString | quote }}
{{ $p }}_ADMIN_PORT: {{ $ports.admin | int64 | toString | quote }}
{{ $p }}_DATABASE_SCHEMA: {{ printf "mesh_%s" .name | quote }}
LOG_LEVEL: {{ $c.logLevel | quote }}
SEED: {{ $c.seed | toString | quote }}
SHUTDOWN_GRACE_MS: {{ $c.shutdownGraceMs | int64 | toString | quote }}
MAX_CONNECTION_AGE_MS: {{ $c.maxConnectionAgeMs | int64 | toString | quote }}
MAX_CONNECTION_AGE_GRACE_MS: {{ $c.maxConnectionAgeGraceMs | int64 | toString | quote }}
UPSTREAM_TIMEOUT_MS: {{ $c.upstreamTimeoutMs | int64 | toString | quote }}
READ_MAX_BYTES: {{ $c.readMaxBytes | int64 | toString | quote }}
WRITE_MAX_BYTES: {{ $c.writeMaxBytes | int64 | toString | quote }}
DATABASE_POOL_MAX: {{ $c.databasePoolMax | int64 | toString | quote }}
DATABASE_CONNECT_TIMEOUT_MS: {{ $c.databaseConnectTimeoutMs | int64 | toString | quote }}
DATABASE_STATEMENT_TIMEOUT_MS: {{ $c.databaseStatementTimeoutMs | int64 | toString | quote }}
MIGRATE_ON_START: {{ include "mesh.migrateOnStart" $root | quote }}
{{- range $upstream := splitList " " (include "mesh.upstreamsOf" .name) }}
{{- if $upstream }}
{{ upper $upstream }}_SERVICE_ADDR: {{ include "mesh.upstreamAddress" (dict "root" $root "name" $upstream) | quote }}
{{- end }}
{{- end }}
{{- if $root.Values.tls.existingSecret }}
TLS_CERT_FILE: "/etc/mesh/tls/tls.crt"
TLS_KEY_FILE: "/etc/mesh/tls/tls.key"
UPSTREAM_TLS_CA_FILE: "/etc/mesh/tls/ca.crt"
{{- if $root.Values.tls.mutual }}
TLS_CLIENT_CA_FILE: "/etc/mesh/tls/ca.crt"
UPSTREAM_TLS_CERT_FILE: "/etc/mesh/tls/tls.crt"
UPSTREAM_TLS_KEY_FILE: "/etc/mesh/tls/tls.key"
{{- end }}
{{- end }}
{{- range $key, $value := $c.extraEnv }}
{{ $key }}: {{ $value | toString | quote }}
{{- end }}
{{- end }}

{{/*
Authentication variables of a service's container (not the ConfigMap: the migration containers must not
need the key). Context: root.
*/}}
{{- define "mesh.authEnv" -}}
{{- $a := .Values.auth -}}
{{- if $a.enabled }}
{{- if $a.jwksUrl }}
- {name: AUTH_JWKS_URL, value: {{ $a.jwksUrl | quote }}}
{{- else }}
- name: AUTH_JWT_SECRET
  valueFrom:
    secretKeyRef:
      {{- if $a.existingSecret }}
      name: {{ $a.existingSecret }}
      key: {{ $a.jwtSecretKey }}
      {{- else }}
      name: {{ include "mesh.fullname" . }}-auth
      key: jwt-secret
      {{- end }}
{{- end }}
{{- with $a.issuer }}
- {name: AUTH_ISSUER, value: {{ . | quote }}}
{{- end }}
{{- with $a.audience }}
- {name: AUTH_AUDIENCE, value: {{ . | quote }}}
{{- end }}
- {name: AUTH_REQUIRE_READS, value: {{ $a.requireReads | toString | quote }}}
{{- end }}
{{- end }}

{{/* grpc-health-probe's TLS flags for a service's own port (empty without TLS). Context: service context. */}}
{{- define "mesh.probeTlsFlags" -}}
{{- $t := .root.Values.tls -}}
{{- if $t.existingSecret -}}
-tls -tls-ca-cert=/etc/mesh/tls/ca.crt -tls-server-name={{ include "mesh.fullname" .root }}-{{ .name }}
{{- if $t.mutual }} -tls-client-cert=/etc/mesh/tls/tls.crt -tls-client-key=/etc/mesh/tls/tls.key{{ end }}
{{- end -}}
{{- end }}

{{/* Name of the Secret holding a service's database URL, and the key. Context: service context. */}}
{{- define "mesh.databaseSecretRef" -}}
{{- if .root.Values.database.external.enabled -}}
name: {{ .root.Values.database.external.existingSecret }}
key: {{ get .root.Values.database.external.keys .name }}
{{- else -}}
name: {{ include "mesh.fullname" .root }}-postgresql
key: {{ .name }}-database-url
{{- end -}}
{{- end }}

{{/* Host of the in-chart PostgreSQL. */}}
{{- define "mesh.postgresql.host" -}}
{{- printf "%s-postgresql.%s.svc.%s" (include "mesh.fullname" .) .Release.Namespace .Values.clusterDomain -}}
{{- end }}

{{/* Checksum that changes when the database settings change (generated passwords are not part of it). */}}
{{- define "mesh.databaseChecksum" -}}
{{- toJson (dict "external" .Values.database.external "auth" .Values.postgresql.auth "enabled" .Values.postgresql.enabled) | sha256sum -}}
{{- end }}

{{/* Fails the render on contradictory database settings. */}}
{{- define "mesh.validate" -}}
{{- if and .Values.postgresql.enabled .Values.database.external.enabled -}}
{{- fail "postgresql.enabled and database.external.enabled are both true: choose one database" -}}
{{- end -}}
{{- if not (or .Values.postgresql.enabled .Values.database.external.enabled) -}}
{{- fail "no database: set postgresql.enabled (development) or database.external.enabled with database.external.existingSecret" -}}
{{- end -}}
{{- if and .Values.database.external.enabled (not .Values.database.external.existingSecret) -}}
{{- fail "database.external.enabled needs database.external.existingSecret" -}}
{{- end -}}
{{- if and (eq .Values.migrations.mode "hook") .Values.postgresql.enabled -}}
{{- fail "migrations.mode=hook needs an external database: the in-chart PostgreSQL does not exist yet when pre-install hooks run (use initContainer)" -}}
{{- end -}}
{{- if and .Values.auth.jwksUrl (not (and .Values.auth.issuer .Values.auth.audience)) -}}
{{- fail "auth.jwksUrl needs auth.issuer and auth.audience: an identity provider signs tokens for other audiences too" -}}
{{- end -}}
{{- if and .Values.auth.requireReads (not .Values.auth.enabled) -}}
{{- fail "auth.requireReads needs auth.enabled" -}}
{{- end -}}
{{- if and .Values.tls.mutual (not .Values.tls.existingSecret) -}}
{{- fail "tls.mutual needs tls.existingSecret (a kubernetes.io/tls Secret with ca.crt)" -}}
{{- end -}}
{{- end }}

{{/* The restricted-profile security context of a container. */}}
{{- define "mesh.containerSecurityContext" -}}
{{- toYaml .Values.containerSecurityContext -}}
{{- end }}
