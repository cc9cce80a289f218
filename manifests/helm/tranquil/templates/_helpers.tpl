{{/* Labels every object of the release carries; `name` is the component's. */}}
{{- define "tranquil.labels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/part-of: tranquil
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/* The image tag: the value, else the chart's appVersion. */}}
{{- define "tranquil.tag" -}}
{{- .tag | default .root.Chart.AppVersion -}}
{{- end -}}

{{/* The controller image. */}}
{{- define "tranquil.image" -}}
{{ .Values.image.repository }}:{{ include "tranquil.tag" (dict "tag" .Values.image.tag "root" .) }}
{{- end -}}

{{/* The Redis URL the controller and the TraceManagers use, when not from a Secret. */}}
{{- define "tranquil.redisUrl" -}}
{{- if .Values.redis.enabled -}}
redis://tranquil-redis.{{ .Release.Namespace }}.svc:6379
{{- else -}}
{{ .Values.redis.url }}
{{- end -}}
{{- end -}}

{{/* The Secret holding the API token. */}}
{{- define "tranquil.apiTokenSecret" -}}
{{- .Values.apiToken.existingSecret | default "tranquil-api-token" -}}
{{- end -}}

{{/* Refuses contradictory values, naming what to change. */}}
{{- define "tranquil.checkValues" -}}
{{- if and .Values.redis.enabled (or .Values.redis.url .Values.redis.existingSecret) -}}
{{- fail "redis.url or redis.existingSecret names an external Redis: set redis.enabled=false too" -}}
{{- end -}}
{{- if and (not .Values.redis.enabled) (not (or .Values.redis.url .Values.redis.existingSecret)) -}}
{{- fail "redis.enabled=false needs redis.url or redis.existingSecret (the trace store's address)" -}}
{{- end -}}
{{- if and .Values.redis.url .Values.redis.existingSecret -}}
{{- fail "set redis.url or redis.existingSecret, not both" -}}
{{- end -}}
{{- if and .Values.injection.enabled .Values.redis.existingSecret -}}
{{- fail "injection with redis.existingSecret is not supported: the injected TraceManagers need the URL in the pods' namespaces; give redis.url" -}}
{{- end -}}
{{- end -}}
