package report

import "html/template"

// pageTemplate is the whole report: styles inline, charts inline SVG, no
// script and nothing loaded from elsewhere. html/template escapes every
// text from the data; only the SVG charts (made by gonum/plot, which
// escapes their text) are inserted as markup.
var pageTemplate = template.Must(template.New("report").Parse(pageHTML))

const pageHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="robustdata {{.Tool}}">
<title>{{.Title}}</title>
<style>
:root { --fg: #1d1d1f; --muted: #5f6368; --line: #d9d9de; --bg: #ffffff; --panel: #f6f7f9; --accent: #08306b; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 15px/1.5 "Liberation Sans", Arial, Helvetica, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 40px 0 12px; padding-top: 12px; border-top: 2px solid var(--accent); }
h3 { font-size: 16px; margin: 20px 0 8px; }
.sub, .note, figcaption { color: var(--muted); font-size: 13px; }
nav { margin: 12px 0 0; font-size: 14px; }
nav a { color: var(--accent); margin-right: 14px; text-decoration: none; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px 4px 0; text-align: left; vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; padding-left: 10px; }
td.best { background: #e3f1e3; }
code, .mono { font-family: "Liberation Mono", Menlo, Consolas, monospace; font-size: 12px; word-break: break-all; }
figure { margin: 8px 0 20px; }
figure svg { display: block; max-width: 100%; height: auto; }
.sw { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
.sw.dash { background-image: repeating-linear-gradient(90deg, transparent 0 2px, #fff 2px 3px); }
.key { font-size: 12px; color: var(--muted); margin: 4px 0 8px; }
.key span { margin-right: 10px; white-space: nowrap; }
.facts td:first-child { color: var(--muted); padding-right: 18px; white-space: nowrap; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 14px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; }
.card h3 { margin: 0 0 4px; }
.card p { margin: 4px 0; font-size: 13px; }
.card blockquote { margin: 6px 0; padding: 4px 8px; border-left: 3px solid var(--line); background: #fff; font-size: 12.5px; white-space: pre-wrap; overflow-wrap: anywhere; }
.card blockquote .id { display: block; color: var(--muted); font-size: 11px; }
.sw.line { height: 0; border-top: 2px solid #444; border-radius: 0; vertical-align: 3px; }
.sw.line.dash { border-top-style: dashed; background: none; }
.runs { font-size: 13px; padding-left: 18px; }
.warn { background: #fff4e5; border-left: 4px solid #e8590c; padding: 6px 10px; }
.metrics { font-size: 16px; margin: 6px 0 10px; }
summary { cursor: pointer; color: var(--accent); font-size: 14px; }
.metrics b { font-variant-numeric: tabular-nums; }
</style>
</head>
<body>
<main>
<header>
<h1>robustdata report</h1>
<p class="sub">{{.Dir}} · written by robustdata {{.Tool}}</p>
<nav><a href="#dataset">Dataset</a><a href="#task-sizes">Task sizes</a><a href="#projection">Projection</a><a href="#tasks">Tasks</a>{{if .Labels}}<a href="#labels">Labels</a>{{end}}{{if .Training}}<a href="#training">Training</a>{{end}}</nav>
</header>

<section id="dataset">
<h2>1. Dataset</h2>
<table class="facts">
{{range .Dataset.Facts}}<tr><td>{{.Key}}</td><td>{{.Value}}</td></tr>
{{end}}</table>
<h3>Inputs</h3>
<table>
<tr><th>path</th><th class="num">size</th><th>sha256</th></tr>
{{range .Dataset.Inputs}}<tr><td>{{.Path}}</td><td class="num">{{.Size}}</td><td class="mono">{{.SHA256}}</td></tr>
{{else}}<tr><td colspan="3" class="note">no input recorded</td></tr>
{{end}}</table>
<h3>Configuration</h3>
<table class="facts">
{{range .Dataset.Config}}<tr><td>{{.Key}}</td><td class="mono">{{.Value}}</td></tr>
{{else}}<tr><td colspan="2" class="note">no configuration recorded</td></tr>
{{end}}</table>
</section>

<section id="task-sizes">
<h2>2. Task sizes</h2>
<figure class="chart" id="task-sizes-chart">
{{.Sizes.SVG}}
<figcaption>Rows per task, from the manifest.</figcaption>
</figure>
<table>
<tr><th>task</th><th class="num">rows</th><th class="num">share</th><th class="num">bytes</th><th class="num">shards</th></tr>
{{range .Sizes.Rows}}<tr><td><span class="sw" style="background: {{.Color}}"></span>{{.Task}}</td><td class="num">{{.Rows}}</td><td class="num">{{.Share}}</td><td class="num">{{.Bytes}}</td><td class="num">{{.Shards}}</td></tr>
{{end}}</table>
{{range .Sizes.Warnings}}<p class="warn"><b>Warning:</b> {{.}}.</p>
{{end}}</section>

<section id="projection">
<h2>3. Projection</h2>
{{with .Proj}}<figure class="chart" id="projection-chart" data-points="{{.Points}}">
{{.SVG}}
<figcaption>{{.Points}} rows drawn evenly from the {{.Of}} rows of the task shards (every task at least 5 when it has them), projected on {{if .Between}}the plane in which the task centroids lie furthest apart (the first two principal components of the centroids, weighted by the tasks' sampled rows: PC1 {{.PC1}}, PC2 {{.PC2}} of the between-task variance){{else}}the first two principal components (PC1 {{.PC1}}, PC2 {{.PC2}} of the variance){{end}} of {{.Space}}; coloured by task, legend on the right.</figcaption>
</figure>
{{else}}<p class="note">{{.ProjNote}}</p>
{{end}}</section>

<section id="tasks">
<h2>4. Tasks</h2>
<p class="note">Per task: top terms ({{if .TermsFromMarkdown}}those of the dataset's report.md: c-TF-IDF of the partition's sample{{else}}c-TF-IDF of the sampled texts{{end}}), the pattern features that stand out (mean of the task's sampled rows against the overall mean, in standard deviations) and three sampled texts, nearest the task's centroid first.</p>
<div class="cards">
{{range .Tasks}}<div class="card" id="task-{{.Task}}">
<h3><span class="sw" style="background: {{.Color}}"></span>Task {{.Task}}</h3>
<p>{{.Rows}} rows ({{.Share}}), {{.Sampled}} sampled</p>
<p><b>Top terms:</b> {{if .Terms}}<span class="terms" id="terms-{{.Task}}">{{.Terms}}</span>{{else}}<span class="note">none</span>{{end}}</p>
<p><b>Stands out:</b> {{if .StandOut}}{{.StandOut}}{{else}}<span class="note">none</span>{{end}}</p>
{{range .Examples}}<blockquote>{{.Text}}{{if .ID}}<span class="id">{{.ID}}</span>{{end}}</blockquote>
{{end}}</div>
{{end}}</div>
</section>
{{with .Labels}}
<section id="labels">
<h2>5. Labels and tasks</h2>
<p class="metrics">NMI <b id="nmi">{{.NMI}}</b> · ARI <b id="ari">{{.ARI}}</b> · purity <b>{{.Purity}}</b></p>
<p class="note">Label column <code>{{.Column}}</code>, {{.Labels}} labels, over all {{.Rows}} rows of the task shards. Cell shade: share of the label's rows that fall in the task{{if .Others}}; the {{.Shown}} largest labels have a row each, the others share one{{end}}.</p>
<figure class="chart" id="labels-chart">
{{.SVG}}
</figure>
<details>
<summary>Labels: rows, main task and its share</summary>
<table>
<tr><th>label</th><th class="num">rows</th><th class="num">main task</th><th class="num">its share</th></tr>
{{range .TopTable}}<tr><td>{{.Label}}</td><td class="num">{{.Rows}}</td><td class="num">{{.Task}}</td><td class="num">{{.Share}}</td></tr>
{{end}}</table>
</details>
</section>
{{end}}{{with .Training}}
<section id="training">
<h2>6. Training runs</h2>
<h3>Training loss per strategy: worst task and mean</h3>
<p class="note">Per run (train_log.parquet), at each step the largest task loss (solid) and the mean over the tasks (dashed), moving average over {{.Window}} steps{{if .LogY}}; logarithmic scale{{end}}.</p>
<p class="key" id="loss-key">{{range .Runs}}<span><span class="sw" style="background-color: {{.Color}}"></span>{{.Name}}</span>{{end}}<span><span class="sw line"></span>worst task</span><span><span class="sw line dash"></span>mean</span></p>
{{if .LossSVG}}<figure class="chart" id="loss-chart">
{{.LossSVG}}
</figure>
{{end}}<ul class="runs">
{{range .Runs}}<li id="run-{{.Name}}"><span class="sw" style="background-color: {{.Color}}"></span><b>{{.Name}}</b> — strategy {{.Strategy}}{{range .Facts}} · {{.Key}} {{.Value}}{{end}}{{if .Note}} · <span class="note">{{.Note}}</span>{{end}}</li>
{{end}}</ul>
{{with .SeedNote}}<p class="note" id="seed-note">{{.}}</p>
{{end}}
{{range .Weights}}<h3>Final task weights: {{.Title}}</h3>
<figure class="chart weights">
{{.SVG}}
<figcaption>weights.json of each run: the weights of the last step (the data mixture it ends on); the dashed line is the uniform weight 1/K.</figcaption>
</figure>
{{end}}{{with .Eval}}<h3>Validation loss (eval.json of each run)</h3>
<table id="eval-table">
<tr>{{range $i, $h := .Head}}<th{{if $i}} class="num"{{end}}>{{$h}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range $i, $c := .}}<td{{if $i}} class="num{{if $c.Best}} best{{end}}"{{end}}>{{if $c.Strong}}<b>{{$c.Text}}</b>{{else}}{{$c.Text}}{{end}}</td>{{end}}</tr>
{{end}}</table>
<p class="note">Bold in a task row: the run's worst task. Shaded: the lowest mean and worst loss across runs.</p>
{{end}}{{with .Probes}}<h3>Downstream probes (eval/eval.json)</h3>
<table id="probe-table">
<tr>{{range $i, $h := .Head}}<th{{if $i}} class="num"{{end}}>{{$h}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range $i, $c := .}}<td{{if $i}} class="num"{{end}}>{{if $c.Strong}}<b>{{$c.Text}}</b>{{else}}{{$c.Text}}{{end}}</td>{{end}}</tr>
{{end}}</table>
<p class="note">Accuracy of a linear probe on each run's frozen representations (held-out 20% of each downstream set).</p>
{{end}}</section>
{{end}}
</main>
</body>
</html>
`
