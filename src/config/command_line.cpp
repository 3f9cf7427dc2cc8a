#include "config/command_line.hpp"

#include <array>
#include <charconv>
#include <chrono>
#include <span>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "common/build_info.hpp"
#include "config/config_error.hpp"
#include "config/config_table.hpp"

namespace mc {
namespace {

constexpr std::string_view kProgram = "market-collector";
constexpr std::string_view kDescription = "captures Binance trade streams into an object store";
constexpr std::int64_t kMsPerDay = 86'400'000;

using Args = std::vector<std::string>;

struct Subcommand {
  std::string_view name;
  std::string_view summary;  // empty: not listed by --help
  Invocation (*parse)(const Args& args, const Environment& env);
};

Invocation parse_run(const Args& args, const Environment& env);
Invocation parse_config_table(const Args& args, const Environment& env);
Invocation parse_audit(const Args& args, const Environment& env);
Invocation parse_ohlcv(const Args& args, const Environment& env);

// A new subcommand (audit, ...) is one more row and its parse function.
constexpr std::array kSubcommands{
    Subcommand{"run", "collect the configured streams into the store (the default)", parse_run},
    Subcommand{"audit", "check the store's parts, manifests and id coverage (audit --help)", parse_audit},
    Subcommand{"ohlcv", "write curated trades and 1-second OHLCV bars as Parquet (ohlcv --help)", parse_ohlcv},
    Subcommand{"config-table", "", parse_config_table},
};

std::string without_backticks(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != '`') out += c;
  }
  return out;
}

std::string help_text() {
  std::string out = fmt::format("{} {}: {}\n\nUsage: {} [COMMAND] [OPTIONS]\n\nCommands:\n", kProgram,
                                MC_VERSION, kDescription, kProgram);
  for (const Subcommand& command : kSubcommands) {
    if (!command.summary.empty()) out += fmt::format("  {:<14}{}\n", command.name, command.summary);
  }
  out += fmt::format(
      "\nOptions:\n"
      "  -h, --help    print this help and exit\n"
      "  --version     print the version and exit\n"
      "  {} PATH\n"
      "      env {}\n"
      "      YAML file with the settings below under their snake_case names; no file is read otherwise\n"
      "\nSettings (a flag beats the environment, which beats the YAML file, which beats the default):\n",
      kConfigFileFlag, kConfigFileEnv);
  for (const ConfigKey& key : config_table()) {
    const std::string_view shown_default = key.default_note.empty() ? key.default_value : key.default_note;
    out += fmt::format("  {} {}\n      env {}, yaml {}, default: {}\n      {}\n", key.flag, value_type_name(key.type),
                       key.env, key.yaml, shown_default, without_backticks(key.help));
  }
  return out;
}

// "market-collector 0.1.0 (commit 1a2b3c4, RelWithDebInfo)": which code runs, for bug reports.
std::string version_text() {
  const BuildInfo build = build_info();
  return fmt::format("{} {} (commit {}, {})\n", kProgram, build.version, build.commit, build.build_type);
}

// CLI11 messages can span lines; a start-up error is one.
std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text) out += c == '\n' || c == '\r' ? ' ' : c;
  return out;
}

// Parses with CLI11, turning its errors into one-line ConfigErrors.
void parse_arguments(CLI::App& app, const Args& args) {
  // "--name=value" is split here because CLI11 2.1 reads an empty "--name=" as a bare "--name" and
  // takes the next argument as its value; an empty value is meaningful (METRICS_ADDR= disables).
  Args reversed;  // CLI11 takes the arguments in reverse order
  for (auto it = args.rbegin(); it != args.rend(); ++it) {
    const std::size_t equals = it->find('=');
    if (it->rfind("--", 0) == 0 && equals != std::string::npos) {
      reversed.push_back(it->substr(equals + 1));
      reversed.push_back(it->substr(0, equals));
    } else {
      reversed.push_back(*it);
    }
  }
  try {
    app.parse(std::move(reversed));
  } catch (const CLI::ParseError& e) {
    throw ConfigError(fmt::format("command line: {} (see --help)", one_line(e.what())));
  }
}

// The table's flags and --config on a subcommand's CLI11 app; after parsing, build() merges them
// with the environment, the YAML file and the defaults. CLI11 keeps pointers into this object.
class SettingFlags {
 public:
  explicit SettingFlags(CLI::App& app) : values_(config_table().size()) {
    config_file_option_ = app.add_option(std::string(kConfigFileFlag), config_file_)->type_name("PATH");
    const std::span<const ConfigKey> table = config_table();
    for (std::size_t i = 0; i < table.size(); ++i) {
      options_.push_back(app.add_option(std::string(table[i].flag), values_[i])
                             ->type_name(std::string(value_type_name(table[i].type))));
    }
  }
  SettingFlags(const SettingFlags&) = delete;
  SettingFlags& operator=(const SettingFlags&) = delete;

  Config build(const Environment& env) const {
    ConfigBuilder builder;
    std::optional<std::string> file = env(kConfigFileEnv);
    std::string file_source(kConfigFileEnv);
    if (config_file_option_->count() > 0) {
      file = config_file_;
      file_source = kConfigFileFlag;
    }
    if (file) {
      if (file->empty()) throw ConfigError(fmt::format("{}=\"\": expected the path of a YAML file", file_source));
      apply_yaml_file(*file, builder);
    }
    apply_environment(env, builder);
    const std::span<const ConfigKey> table = config_table();
    for (std::size_t i = 0; i < table.size(); ++i) {
      if (options_[i]->count() > 0) builder.set(table[i], values_[i], std::string(table[i].flag));
    }
    return std::move(builder).finish();
  }

 private:
  std::string config_file_;
  CLI::Option* config_file_option_ = nullptr;
  std::vector<std::string> values_;  // one per row, sized before CLI11 takes pointers into it
  std::vector<CLI::Option*> options_;
};

Invocation parse_run(const Args& args, const Environment& env) {
  CLI::App app{std::string(kDescription), std::string(kProgram)};
  app.set_help_flag();  // --help prints help_text(), generated from the table
  bool help = false;
  bool version = false;
  app.add_flag("-h,--help", help);
  app.add_flag("--version", version);
  const SettingFlags settings(app);
  parse_arguments(app, args);
  if (help) return {Invocation::Command::kHelp, Config{}, help_text()};
  if (version) return {Invocation::Command::kHelp, Config{}, version_text()};
  return {Invocation::Command::kRun, settings.build(env), ""};
}

Invocation parse_config_table(const Args& args, const Environment& /*env*/) {
  if (!args.empty()) {
    throw ConfigError(fmt::format("command line: config-table takes no arguments, got \"{}\"", one_line(args.front())));
  }
  return {Invocation::Command::kConfigTable, Config{}, config_markdown_table()};
}

// --jobs N of audit and ohlcv.
unsigned parse_jobs(const std::string& jobs) {
  unsigned n = 0;
  const auto [end, error] = std::from_chars(jobs.data(), jobs.data() + jobs.size(), n);
  if (jobs.empty() || error != std::errc{} || end != jobs.data() + jobs.size() || n == 0 || n > kMaxAuditJobs) {
    throw ConfigError(
        fmt::format("--jobs=\"{}\": expected a number of threads from 1 to {}", one_line(jobs), kMaxAuditJobs));
  }
  return n;
}

std::string audit_help_text() {
  return fmt::format(
      "Usage: {} audit [--deep] [--json] [--from T] [--to T] [--export DIR] [--jobs N] [--offline]\n"
      "                [--symbols-from-store] [SETTINGS]\n\n"
      "Lists the store (LOCAL_STORE_DIR, S3_PREFIX) for each SYMBOL over [from, to), pairs parts with manifests,\n"
      "checks keys and manifests, and reports the trade ids covered by the union of instances and by each one.\n"
      "Asks the exchange (BINANCE_REST_URL, aggTrades) which ids it published in the range, so that ids\n"
      "missing before the first stored id or after the last are found too.\n"
      "Exit code: 0 clean, 1 ids missing or objects corrupt/orphaned, 2 bad usage, 3 the exchange could not\n"
      "be asked (and nothing else was wrong).\n\n"
      "Options:\n"
      "  --deep      also read every part: sha256, gzip, counts, id and time ranges, the exact id set\n"
      "  --json      print the report as JSON (docs/AUDIT.md)\n"
      "  --from T    start, ISO 8601 UTC (2026-11-25T05:00:00Z) or epoch ms; default: one hour before --to\n"
      "  --to T      end (exclusive); default: now\n"
      "  --export DIR  also write the union of verified parts, each trade id once, as\n"
      "                DIR/symbol=S/dt=YYYY-MM-DD/HH/MM.jsonl.gz by trade time, and DIR/_export.json;\n"
      "                implies --deep; DIR must be missing or empty (docs/AUDIT.md)\n"
      "  --jobs N    threads reading and checking objects (1-{}); default: cores, at most 4\n"
      "  --offline   do not ask the exchange: the store alone (no_data, instance_stopped stand in for it)\n"
      "  --symbols-from-store  audit every symbol folder found under the prefix instead of SYMBOL\n"
      "  Settings: every flag of `{} --help` (--local-store-dir, --s3-prefix, --symbol, --config, ...)\n",
      kProgram, kMaxAuditJobs, kProgram);
}

Invocation parse_audit(const Args& args, const Environment& env) {
  CLI::App app{std::string(kDescription), std::string(kProgram)};
  app.set_help_flag();
  bool help = false;
  Invocation invocation{.command = Invocation::Command::kAudit};
  std::string from;
  std::string to;
  app.add_flag("-h,--help", help);
  app.add_flag("--deep", invocation.audit.deep);
  app.add_flag("--json", invocation.audit.json);
  app.add_flag("--offline", invocation.audit.offline);
  app.add_flag("--symbols-from-store", invocation.audit.symbols_from_store);
  CLI::Option* from_option = app.add_option("--from", from);
  CLI::Option* to_option = app.add_option("--to", to);
  std::string export_dir;
  CLI::Option* export_option = app.add_option("--export", export_dir);
  std::string jobs;
  CLI::Option* jobs_option = app.add_option("--jobs", jobs);
  const SettingFlags settings(app);
  parse_arguments(app, args);
  if (help) return {Invocation::Command::kHelp, Config{}, audit_help_text()};
  if (export_option->count() != 0) {
    if (export_dir.empty()) throw ConfigError("--export=\"\": expected a directory");
    invocation.audit.export_dir = export_dir;
    invocation.audit.deep = true;  // only parts that verify are exported
  }
  if (jobs_option->count() != 0) invocation.audit.jobs = parse_jobs(jobs);
  const auto instant = [](CLI::Option* option, const std::string& text) -> std::optional<std::int64_t> {
    if (option->count() == 0) return std::nullopt;
    const std::optional<std::int64_t> ms = parse_utc_instant_ms(text);
    if (!ms) {
      throw ConfigError(fmt::format("{}=\"{}\": expected an ISO 8601 UTC time like 2026-11-25T05:00:00Z or epoch "
                                    "milliseconds",
                                    option->get_name(), one_line(text)));
    }
    return ms;
  };
  invocation.audit.from_ms = instant(from_option, from);
  invocation.audit.to_ms = instant(to_option, to);
  if (invocation.audit.from_ms && invocation.audit.to_ms && *invocation.audit.from_ms >= *invocation.audit.to_ms) {
    throw ConfigError(fmt::format("--from=\"{}\": must be before --to=\"{}\"", one_line(from), one_line(to)));
  }
  invocation.config = settings.build(env);
  return invocation;
}

std::string ohlcv_help_text() {
  return fmt::format(
      "Usage: {} ohlcv --from DAY --to DAY --out DIR [--require-complete] [--jobs N] [SETTINGS]\n\n"
      "Reads the store (LOCAL_STORE_DIR or RAW_BUCKET, S3_PREFIX) as `audit --deep` does, for each SYMBOL, and\n"
      "writes the whole UTC days [from, to) as Parquet (docs/OHLCV.md):\n"
      "  DIR/trades/symbol=S/dt=D/*.parquet    one row per trade id, the copy received first\n"
      "  DIR/ohlcv_1s/symbol=S/dt=D/*.parquet  1-second bars\n"
      "  DIR/_curated.json                     the days, the files, the trade ids missing per symbol and day\n"
      "with sql/curated/*.sql on DuckDB (libduckdb.so from scripts/install-deps.sh, or {}=PATH).\n"
      "Exit code: 0 written; 1 the raw lines or the output could not be written (or, with --require-complete,\n"
      "a symbol has a day without trades or with missing ids); 2 bad usage, no libduckdb, or a store that\n"
      "cannot be reached or listed.\n\n"
      "Options:\n"
      "  --from DAY  first day: 2025-02-09, 2025-02-09T00:00:00Z or epoch ms of a UTC midnight\n"
      "  --to DAY    the day after the last (exclusive)\n"
      "  --out DIR   where the datasets go (created when missing; partitions already there are replaced)\n"
      "  --require-complete  exit 1 when any day of any symbol lacks trades or has missing ids\n"
      "  --jobs N    threads reading and checking parts (1-{}); default: cores, at most 4\n"
      "  Settings: every flag of `{} --help` (--local-store-dir, --s3-prefix, --symbol, --config, ...)\n",
      kProgram, "MC_LIBDUCKDB", kMaxAuditJobs, kProgram);
}

// A day of --from/--to: "2025-02-09" is its midnight; else parse_utc_instant_ms.
std::optional<std::int64_t> parse_day_ms(const std::string& text) {
  constexpr std::size_t kDateLength = 10;
  return parse_utc_instant_ms(text.size() == kDateLength ? text + "T00:00:00Z" : text);
}

Invocation parse_ohlcv(const Args& args, const Environment& env) {
  CLI::App app{std::string(kDescription), std::string(kProgram)};
  app.set_help_flag();
  bool help = false;
  Invocation invocation{.command = Invocation::Command::kOhlcv};
  std::string from;
  std::string to;
  std::string jobs;
  app.add_flag("-h,--help", help);
  app.add_flag("--require-complete", invocation.ohlcv.require_complete);
  CLI::Option* from_option = app.add_option("--from", from);
  CLI::Option* to_option = app.add_option("--to", to);
  CLI::Option* out_option = app.add_option("--out", invocation.ohlcv.out_dir);
  CLI::Option* jobs_option = app.add_option("--jobs", jobs);
  const SettingFlags settings(app);
  parse_arguments(app, args);
  if (help) return {Invocation::Command::kHelp, Config{}, ohlcv_help_text()};
  const auto day = [](CLI::Option* option, const std::string& text) {
    if (option->count() == 0) {
      throw ConfigError(fmt::format("ohlcv: {} is required (see ohlcv --help)", option->get_name()));
    }
    const std::optional<std::int64_t> ms = parse_day_ms(text);
    if (!ms) {
      throw ConfigError(fmt::format("{}=\"{}\": expected a UTC day like 2025-02-09 (or 2025-02-09T00:00:00Z, or "
                                    "epoch milliseconds)",
                                    option->get_name(), one_line(text)));
    }
    if (*ms % kMsPerDay != 0) {
      throw ConfigError(fmt::format("{}=\"{}\": must be a UTC midnight: ohlcv writes whole days",
                                    option->get_name(), one_line(text)));
    }
    return *ms;
  };
  invocation.ohlcv.from_ms = day(from_option, from);
  invocation.ohlcv.to_ms = day(to_option, to);
  if (invocation.ohlcv.from_ms >= invocation.ohlcv.to_ms) {
    throw ConfigError(fmt::format("--from=\"{}\": must be before --to=\"{}\"", one_line(from), one_line(to)));
  }
  if (out_option->count() == 0 || invocation.ohlcv.out_dir.empty()) {
    throw ConfigError("ohlcv: --out DIR is required (see ohlcv --help)");
  }
  if (jobs_option->count() != 0) invocation.ohlcv.jobs = parse_jobs(jobs);
  invocation.config = settings.build(env);
  return invocation;
}

// Reads exactly `width` digits at text[pos].
std::optional<int> fixed_digits(std::string_view text, std::size_t pos, std::size_t width) {
  if (pos + width > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

}  // namespace

std::optional<std::int64_t> parse_utc_instant_ms(std::string_view text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos) {
    std::int64_t ms = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), ms);
    if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return ms;
  }
  // YYYY-MM-DDTHH:MM:SS[.fff][Z|+00:00]
  const std::optional<int> year = fixed_digits(text, 0, 4);
  const std::optional<int> month = fixed_digits(text, 5, 2);
  const std::optional<int> day = fixed_digits(text, 8, 2);
  const std::optional<int> hour = fixed_digits(text, 11, 2);
  const std::optional<int> minute = fixed_digits(text, 14, 2);
  const std::optional<int> second = fixed_digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != ' ') || text[13] != ':' || text[16] != ':' || *hour > 23 || *minute > 59 ||
      *second > 59) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year{*year}, std::chrono::month{static_cast<unsigned>(*month)},
                                         std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok()) return std::nullopt;
  std::size_t pos = 19;
  std::int64_t millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    std::int64_t scale = 100;
    for (++pos; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos, scale /= 10) {
      millis += (text[pos] - '0') * scale;
    }
  }
  const std::string_view zone = text.substr(pos);
  if (zone != "Z" && zone != "+00:00") return std::nullopt;
  const std::int64_t days = std::chrono::sys_days{date}.time_since_epoch().count();
  return ((days * 24 + *hour) * 60 + *minute) * 60'000 + *second * 1000LL + millis;
}

Invocation parse_invocation(int argc, const char* const* argv, const Environment& env) {
  Args args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  const Subcommand* command = &kSubcommands.front();
  if (!args.empty() && !args.front().empty() && args.front().front() != '-') {
    command = nullptr;
    std::string listed;
    for (const Subcommand& candidate : kSubcommands) {
      if (candidate.name == args.front()) command = &candidate;
      if (!candidate.summary.empty()) listed += fmt::format("{}{}", listed.empty() ? "" : ", ", candidate.name);
    }
    if (command == nullptr) {
      throw ConfigError(
          fmt::format("command line: unknown command \"{}\": expected {} (see --help)", one_line(args.front()),
                      listed));
    }
    args.erase(args.begin());
  }
  return command->parse(args, env);
}

}  // namespace mc
