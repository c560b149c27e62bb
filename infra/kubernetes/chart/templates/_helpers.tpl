{{- define "cyrop.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "cyrop.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "cyrop.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "cyrop.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "cyrop.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cyrop.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "cyrop.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "cyrop.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "cyrop.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "cyrop.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "cyrop.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (toString .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "cyrop.claimName" -}}
{{- default (printf "%s-data" (include "cyrop.fullname" .)) .Values.persistence.existingClaim -}}
{{- end -}}

{{- define "cyrop.secretName" -}}
{{- default (include "cyrop.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{/* The host name of the web-service origin on the Ingress: webServices.host, or web.<ingress.host>. */}}
{{- define "cyrop.webHost" -}}
{{- if .Values.webServices.host -}}
{{- if eq .Values.webServices.host .Values.ingress.host -}}
{{- fail "webServices.host must differ from ingress.host: web-service tabs need an origin of their own, apart from the console's cookies" -}}
{{- end -}}
{{- .Values.webServices.host -}}
{{- else -}}
{{- printf "web.%s" .Values.ingress.host -}}
{{- end -}}
{{- end }}
