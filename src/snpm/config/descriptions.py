"""Help texts of the settings, verbatim from npm 11.19.1 (definitions.js `description`).

Kept apart from `snpm.config.definitions` because they are documentation, not behaviour; `snpm help`
and `--help` output print them. `{registry-origin}` and `{registry-host}` are filled in from the
`registry` default by snpm.config.definitions (the public registry's address is written only there).

Size: one entry per npm setting (181 of them), verbatim text; splitting a data table by letter would
only scatter it.
"""

from __future__ import annotations

# fmt: off
DESCRIPTIONS: dict[str, str] = {
    "_auth": """
    A basic-auth string to use when authenticating against the npm registry.
    This will ONLY be used to authenticate against the npm registry.  For other
    registries you will need to scope it like "//other-registry.tld/:_auth"

    Warning: This should generally not be set via a command-line option.  It
    is safer to use a registry-provided authentication bearer token stored in
    the ~/.npmrc file by running `npm login`.
  """,
    "access": """
    If you do not want your scoped package to be publicly viewable (and
    installable) set `--access=restricted`.

    Unscoped packages cannot be set to `restricted`.

    Note: This defaults to not changing the current access level for existing
    packages.  Specifying a value of `restricted` or `public` during
    publish will change the access for an existing package the same way that
    `npm access set status` would.

    The value `private` is an alias for `restricted`.
  """,
    "all": """
    Show or act on all packages, not just the ones your project directly
    depends on. For `npm outdated` and `npm ls` this lists every outdated
    or installed package. For `npm approve-scripts` and `npm deny-scripts`
    it selects every package with pending install scripts.
  """,
    "allow-same-version": """
    Prevents throwing an error when `npm version` is used to set the new
    version to the same value as the current version.
  """,
    "allow-directory": """
      Limits the ability for npm to install dependencies from directories.
      That is, dependencies that point to a directory instead of a version or semver range.
      Please note that this could leave your tree incomplete and some packages may not function as intended or designed.
      Changing this setting will not remove dependencies that are already installed.

      `all` allows any directories to be installed.
      `none` prevents any directories from being installed.
      `root` only allows directories defined in your project's package.json to be installed.  Also allows directory dependencies to be used for other commands like `npm view`
  """,
    "allow-file": """
      Limits the ability for npm to install dependencies from tarball files.
      That is, dependencies that point to a local tarball file instead of a version or semver range.
      Please note that this could leave your tree incomplete and some packages may not function as intended or designed.
      Changing this setting will not remove dependencies that are already installed.

      `all` allows any tarball file to be installed.
      `none` prevents any tarball file from being installed.
      `root` only allows tarball files defined in your project's package.json to be installed.  Also allows tarball file dependencies to be used for other commands like `npm view`
  """,
    "allow-git": """
      Limits the ability for npm to fetch dependencies from git references.
      That is, dependencies that point to a git repo instead of a version or semver range.
      Please note that this could leave your tree incomplete and some packages may not function as intended or designed.
      Changing this setting will not remove dependencies that are already installed.

      `all` allows any git dependencies to be fetched and installed.
      `none` prevents any git dependencies from being fetched and installed.
      `root` only allows git dependencies defined in your project's package.json to be fetched and installed.  Also allows git dependencies to be fetched for other commands like `npm view`
  """,
    "allow-remote": """
      Limits the ability for npm to fetch dependencies from urls.
      That is, dependencies that point to a tarball url instead of a version or semver range.
      Please note that this could leave your tree incomplete and some packages may not function as intended or designed.
      Changing this setting will not remove dependencies that are already installed.

      `all` allows any url to be installed.
      `none` prevents any url from being installed.
      `root` only allows urls defined in your project's package.json to be installed.  Also allows url dependencies to be used for other commands like `npm view`
  """,
    "allow-scripts": """
      Comma-separated list of packages whose install-time lifecycle scripts
      (`preinstall`, `install`, `postinstall`, and `prepare` for
      non-registry dependencies) are allowed to run.

      This setting is intended for one-off and global contexts: `npm exec`,
      `npx`, and `npm install -g`, where no project `package.json` is
      involved. For team-wide policy in a project, use the `allowScripts`
      field in `package.json` (which also supports explicit denials), or
      configure it in `.npmrc`. Passing `--allow-scripts` on the command
      line during a project-scoped `npm install`, `ci`, `update`, or
      `rebuild` is an error.

      Each name is matched against a dependency's resolved identity, not
      against the package's self-reported name. `--ignore-scripts` and
      `--dangerously-allow-all-scripts` both override this setting.
  """,
    "also": """
      When set to `dev` or `development`, this is an alias for
      `--include=dev`.
    """,
    "audit": """
      When "true" submit audit reports alongside the current npm command to the
      default registry and all registries configured for scopes.  See the
      documentation for [`npm audit`](/commands/npm-audit) for details on what
      is submitted.
    """,
    "audit-level": """
    The minimum level of vulnerability for `npm audit` to exit with
    a non-zero exit code.
    """,
    "auth-type": """
      What authentication strategy to use with `login`.
      Note that if an `otp` config is given, this value will always be set to `legacy`.
    """,
    "before": """
      If passed to `npm install`, will rebuild the npm tree such that only
      versions that were available **on or before** the given date are
      installed.  If there are no versions available for the current set of
      dependencies, the command will error.

      If the requested version is a `dist-tag` and the given tag does not
      pass the `--before` filter, the most recent version less than or equal
      to that tag will be used. For example, `foo@latest` might install
      `foo@1.2` even though `latest` is `2.0`.

      If `before` and `min-release-age` are both set in the same source,
      `before` wins (an explicit absolute date overrides a relative window).
      Across sources, the standard precedence applies (cli > env > project >
      user > global), so a higher-priority source can always relax or
      override a lower-priority one.

      As with `min-release-age`, when this cutoff blocks a fix that
      `npm audit fix` would install, npm keeps the vulnerable version, warns,
      and exits with a non-zero code.

      Packages whose names match `min-release-age-exclude` are exempt from
      this filter.
    """,
    "bin-links": """
      Tells npm to create symlinks (or `.cmd` shims on Windows) for package
      executables.

      Set to false to have it not do this.  This can be used to work around the
      fact that some file systems don't support symlinks, even on ostensibly
      Unix systems.
    """,
    "browser": """
    The browser that is called by npm commands to open websites.

    Set to `false` to suppress browser behavior and instead print urls to
    terminal.

    Set to `true` to use default system URL opener.
    """,
    "bypass-2fa": """
      When creating a Granular Access Token with `npm token create`,
      setting this to true will allow the token to bypass two-factor
      authentication. This is useful for automation and CI/CD workflows.
    """,
    "ca": """
    The Certificate Authority signing certificate that is trusted for SSL
    connections to the registry. Values should be in PEM format (Windows
      calls it "Base-64 encoded X.509 (.CER)") with newlines replaced by the
    string "\\n". For example:

    ```ini
    ca="-----BEGIN CERTIFICATE-----\\nXXXX\\nXXXX\\n-----END CERTIFICATE-----"
    ```

    Set to `null` to only allow "known" registrars, or to a specific CA
    cert to trust only that specific signing authority.

    Multiple CAs can be trusted by specifying an array of certificates:

    ```ini
    ca[]="..."
    ca[]="..."
    ```

    See also the `strict-ssl` config.
  """,
    "cache": """
      The location of npm's cache directory.
    """,
    "cache-max": """
      `--cache-max=0` is an alias for `--prefer-online`
    """,
    "cache-min": """
      `--cache-min=9999 (or bigger)` is an alias for `--prefer-offline`.
    """,
    "cafile": """
      A path to a file containing one or multiple Certificate Authority signing
      certificates. Similar to the `ca` setting, but allows for multiple
      CA's, as well as for the CA information to be stored in a file on disk.
    """,
    "call": """
      Optional companion option for `npm exec`, `npx` that allows for
      specifying a custom command to be run along with the installed packages.

      ```bash
      npm exec --package yo --package generator-node --call "yo node"
      ```
    """,
    "cert": """
      A client certificate to pass when accessing the registry.  Values should
      be in PEM format (Windows calls it "Base-64 encoded X.509 (.CER)") with
      newlines replaced by the string "\\n". For example:

      ```ini
      cert="-----BEGIN CERTIFICATE-----\\nXXXX\\nXXXX\\n-----END CERTIFICATE-----"
      ```

      It is _not_ the path to a certificate file, though you can set a registry-scoped
      "certfile" path like "//other-registry.tld/:certfile=/path/to/cert.pem".
    """,
    "cidr": """
      This is a list of CIDR address to be used when configuring limited access
      tokens with the `npm token create` command.
    """,
    "color": """
      If false, never shows colors.  If `"always"` then always shows colors.
      If true, then only prints color codes for tty file descriptors.
    """,
    "commit-hooks": """
      Run git commit hooks when using the `npm version` command.
    """,
    "cpu": """
      Override CPU architecture of native modules to install.
      Acceptable values are same as `cpu` field of package.json,
      which comes from `process.arch`.
    """,
    "dangerously-allow-all-scripts": """
      If `true`, bypass the `allowScripts` policy entirely and run every
      dependency install script regardless of whether it was approved or
      denied. Intended as a migration escape hatch only; its use is strongly
      discouraged. `--ignore-scripts` still takes precedence over this
      setting.
    """,
    "depth": """
      The depth to go when recursing packages for `npm ls`.

      If not set, `npm ls` will show only the immediate dependencies of the
      root project.  If `--all` is set, then npm will show all dependencies
      by default.
    """,
    "description": """
      Show the description in `npm search`
    """,
    "dev": """
      Alias for `--include=dev`.
    """,
    "diff": """
      Define arguments to compare in `npm diff`.
    """,
    "diff-ignore-all-space": """
      Ignore whitespace when comparing lines in `npm diff`.
    """,
    "diff-name-only": """
      Prints only filenames when using `npm diff`.
    """,
    "diff-no-prefix": """
      Do not show any source or destination prefix in `npm diff` output.

      Note: this causes `npm diff` to ignore the `--diff-src-prefix` and
      `--diff-dst-prefix` configs.
    """,
    "diff-dst-prefix": """
      Destination prefix to be used in `npm diff` output.
    """,
    "diff-src-prefix": """
      Source prefix to be used in `npm diff` output.
    """,
    "diff-text": """
      Treat all files as text in `npm diff`.
    """,
    "diff-unified": """
      The number of lines of context to print in `npm diff`.
    """,
    "dry-run": """
      Indicates that you don't want npm to make any changes and that it should
      only report what it would have done.  This can be passed into any of the
      commands that modify your local installation, eg, `install`,
      `update`, `dedupe`, `uninstall`, as well as `pack` and
      `publish`.

      Note: This is NOT honored by other network related commands, eg
      `dist-tags`, `owner`, etc.
    """,
    "editor": """
      The command to run for `npm edit` and `npm config edit`.
    """,
    "engine-strict": """
      If set to true, then npm will stubbornly refuse to install (or even
      consider installing) any package that claims to not be compatible with
      the current Node.js version.

      This can be overridden by setting the `--force` flag.
    """,
    "expect-result-count": """
      Tells to expect a specific number of results from the command.
    """,
    "expect-results": """
      Tells npm whether or not to expect results from the command.
      Can be either true (expect some results) or false (expect no results).
    """,
    "expires": """
      When creating a Granular Access Token with `npm token create`,
      this sets the expiration in days. If not specified, the server
      will determine the default expiration.
    """,
    "fetch-retries": """
      The "retries" config for the `retry` module to use when fetching
      packages from the registry.

      npm will retry idempotent read requests to the registry in the case
      of network failures or 5xx HTTP errors.
    """,
    "fetch-retry-factor": """
      The "factor" config for the `retry` module to use when fetching
      packages.
    """,
    "fetch-retry-maxtimeout": """
      The "maxTimeout" config for the `retry` module to use when fetching
      packages.
    """,
    "fetch-retry-mintimeout": """
      The "minTimeout" config for the `retry` module to use when fetching
      packages.
    """,
    "fetch-timeout": """
      The maximum amount of time to wait for HTTP requests to complete.
    """,
    "force": """
      Removes various protections against unfortunate side effects, common
      mistakes, unnecessary performance degradation, and malicious input.

      * Allow clobbering non-npm files in global installs.
      * Allow the `npm version` command to work on an unclean git repository.
      * Allow deleting the cache folder with `npm cache clean`.
      * Allow installing packages that have an `engines` declaration
        requiring a different version of npm.
      * Allow installing packages that have an `engines` declaration
        requiring a different version of `node`, even if `--engine-strict`
        is enabled.
      * Allow `npm audit fix` to install modules outside your stated
        dependency range (including SemVer-major changes).
      * Allow unpublishing all versions of a published package.
      * Allow conflicting peerDependencies to be installed in the root project.
      * Implicitly set `--yes` during `npm init`.
      * Allow clobbering existing values in `npm pkg`
      * Allow unpublishing of entire packages (not just a single version).

      If you don't have a clear idea of what you want to do, it is strongly
      recommended that you do not use this option!
    """,
    "foreground-scripts": """
      Run all build scripts (ie, `preinstall`, `install`, and
      `postinstall`) scripts for installed packages in the foreground
      process, sharing standard input, output, and error with the main npm
      process.

      Note that this will generally make installs run slower, and be much
      noisier, but can be useful for debugging.
    """,
    "format-package-lock": """
      Format `package-lock.json` or `npm-shrinkwrap.json` as a human
      readable file.
    """,
    "fund": """
      When "true" displays the message at the end of each `npm install`
      acknowledging the number of dependencies looking for funding.
      See [`npm fund`](/commands/npm-fund) for details.
    """,
    "git": """
      The command to use for git commands.  If git is installed on the
      computer, but is not in the `PATH`, then set this to the full path to
      the git binary.
    """,
    "git-tag-version": """
      Tag the commit when using the `npm version` command.  Setting this to
      false results in no commit being made at all.
    """,
    "global": """
      Operates in "global" mode, so that packages are installed into the
      `prefix` folder instead of the current working directory.  See
      [folders](/configuring-npm/folders) for more on the differences in
      behavior.

      * packages are installed into the `{prefix}/lib/node_modules` folder,
        instead of the current working directory.
      * bin files are linked to `{prefix}/bin`
      * man pages are linked to `{prefix}/share/man`
    """,
    "globalconfig": """
      The config file to read for global config options.
    """,
    "global-style": """
      Only install direct dependencies in the top level `node_modules`,
      but hoist on deeper dependencies.
      Sets `--install-strategy=shallow`.
    """,
    "heading": """
      The string that starts all the debugging log output.
    """,
    "https-proxy": """
      A proxy to use for outgoing https requests. If the `HTTPS_PROXY` or
      `https_proxy` or `HTTP_PROXY` or `http_proxy` environment variables
      are set, proxy settings will be honored by the underlying
      `make-fetch-happen` library.
    """,
    "if-present": """
      If true, npm will not exit with an error code when `run` is
      invoked for a script that isn't defined in the `scripts` section of
      `package.json`. This option can be used when it's desirable to
      optionally run a script when it's present and fail if the script fails.
      This is useful, for example, when running scripts that may only apply for
      some builds in an otherwise generic CI setup.
    """,
    "ignore-scripts": """
      If true, npm does not run scripts specified in package.json files.

      Note that commands explicitly intended to run a particular script, such
      as `npm start`, `npm stop`, `npm restart`, `npm test`, and `npm
      run` will still run their intended script if `ignore-scripts` is
      set, but they will *not* run any pre- or post-scripts.
    """,
    "include": """
      Option that allows for defining which types of dependencies to install.

      This is the inverse of `--omit=<type>`.

      Dependency types specified in `--include` will not be omitted,
      regardless of the order in which omit/include are specified on the
      command-line.
    """,
    "include-staged": """
      Allow installing "staged" published packages, as defined by [npm RFC PR
      #92](https://github.com/npm/rfcs/pull/92).

      This is experimental, and not implemented by the npm public registry.
    """,
    "include-workspace-root": """
      Include the workspace root when workspaces are enabled for a command.

      When false, specifying individual workspaces via the `workspace` config,
      or all workspaces via the `workspaces` flag, will cause npm to operate only
      on the specified workspaces, and not on the root project.
    """,
    "include-attestations": """
      When used with `npm audit signatures --json`, includes the full
      sigstore attestation bundles in the JSON output for each verified
      package. The bundles contain DSSE envelopes, verification material,
      and transparency log entries.
    """,
    "init-author-email": """
      The value `npm init` should use by default for the package author's
      email.
    """,
    "init-author-name": """
      The value `npm init` should use by default for the package author's name.
    """,
    "init-author-url": """
      The value `npm init` should use by default for the package author's homepage.
    """,
    "init-license": """
      The value `npm init` should use by default for the package license.
    """,
    "init-module": """
      A module that will be loaded by the `npm init` command.  See the
      documentation for the
      [init-package-json](https://github.com/npm/init-package-json) module for
      more information, or [npm init](/commands/npm-init).
    """,
    "init-type": """
      The value that `npm init` should use by default for the package.json type field.
    """,
    "init-version": """
      The value that `npm init` should use by default for the package
      version number, if not already set in package.json.
    """,
    "init-private": """
      The value `npm init` should use by default for the package's private flag.
    """,
    "init.author.email": """
      Alias for `--init-author-email`
    """,
    "init.author.name": """
      Alias for `--init-author-name`
    """,
    "init.author.url": """
      Alias for `--init-author-url`
    """,
    "init.license": """
      Alias for `--init-license`
    """,
    "init.module": """
      Alias for `--init-module`
    """,
    "init.version": """
      Alias for `--init-version`
    """,
    "install-links": """
      When set file: protocol dependencies will be packed and installed as
      regular dependencies instead of creating a symlink. This option has
      no effect on workspaces.
    """,
    "install-strategy": """
      Sets the strategy for installing packages in node_modules.
      hoisted (default): Install non-duplicated in top-level, and duplicated as
        necessary within directory structure.
      nested: (formerly --legacy-bundling) install in place, no hoisting.
      shallow (formerly --global-style) only install direct deps at top-level.
      linked: install in node_modules/.store, link in place, unhoisted.

      We recommend that package authors use `--install-strategy=linked`
      during development to catch undeclared ("phantom") dependencies before
      publishing: the isolated layout only exposes a package's declared
      dependencies, so an `import` of a package that was never added to
      `package.json` can fail instead of resolving by accident and shipping
      broken. See [Catching undeclared ("phantom")
      dependencies](/using-npm/developers#catching-undeclared-phantom-dependencies).
    """,
    "json": """
      Whether or not to output JSON data, rather than the normal output.

      * In `npm pkg set` it enables parsing set values with JSON.parse()
      before saving them to your `package.json`.

      Not supported by all npm commands.
    """,
    "key": """
      A client key to pass when accessing the registry.  Values should be in
      PEM format with newlines replaced by the string "\\n". For example:

      ```ini
      key="-----BEGIN PRIVATE KEY-----\\nXXXX\\nXXXX\\n-----END PRIVATE KEY-----"
      ```

      It is _not_ the path to a key file, though you can set a registry-scoped
      "keyfile" path like "//other-registry.tld/:keyfile=/path/to/key.pem".
    """,
    "legacy-bundling": """
      Instead of hoisting package installs in `node_modules`, install packages
      in the same manner that they are depended on. This may cause very deep
      directory structures and duplicate package installs as there is no
      de-duplicating.
      Sets `--install-strategy=nested`.
    """,
    "legacy-peer-deps": """
      Causes npm to completely ignore `peerDependencies` when building a
      package tree, as in npm versions 3 through 6.

      If a package cannot be installed because of overly strict
      `peerDependencies` that collide, it provides a way to move forward
      resolving the situation.

      This differs from `--omit=peer`, in that `--omit=peer` will avoid
      unpacking `peerDependencies` on disk, but will still design a tree such
      that `peerDependencies` _could_ be unpacked in a correct place.

      Use of `legacy-peer-deps` is not recommended, as it will not enforce
      the `peerDependencies` contract that meta-dependencies may rely on.
    """,
    "libc": """
      Override libc of native modules to install.
      Acceptable values are same as `libc` field of package.json
    """,
    "link": """
      Used with `npm ls`, limiting output to only those packages that are
      linked.
    """,
    "local-address": """
      The IP address of the local interface to use when making connections to
      the npm registry.  Must be IPv4 in versions of Node prior to 0.12.
    """,
    "location": """
      When passed to `npm config` this refers to which config file to use.

      When set to "global" mode, packages are installed into the `prefix` folder
      instead of the current working directory. See
      [folders](/configuring-npm/folders) for more on the differences in behavior.

      * packages are installed into the `{prefix}/lib/node_modules` folder,
        instead of the current working directory.
      * bin files are linked to `{prefix}/bin`
      * man pages are linked to `{prefix}/share/man`
    """,
    "lockfile-version": """
      Set the lockfile format version to be used in package-lock.json and
      npm-shrinkwrap-json files.  Possible options are:

      1: The lockfile version used by npm versions 5 and 6.  Lacks some data that
      is used during the install, resulting in slower and possibly less
      deterministic installs.  Prevents lockfile churn when interoperating with
      older npm versions.

      2: The default lockfile version used by npm version 7 and 8.  Includes both
      the version 1 lockfile data and version 3 lockfile data, for maximum
      determinism and interoperability, at the expense of more bytes on disk.

      3: Only the new lockfile information introduced in npm version 7.  Smaller
      on disk than lockfile version 2, but not interoperable with older npm
      versions.  Ideal if all users are on npm version 7 and higher.
    """,
    "loglevel": """
      What level of logs to report.  All logs are written to a debug log,
      with the path to that file printed if the execution of a command fails.

      Any logs of a higher level than the setting are shown. The default is
      "notice".

      See also the `foreground-scripts` config.
    """,
    "logs-dir": """
      The location of npm's log directory.  See [`npm
      logging`](/using-npm/logging) for more information.
    """,
    "logs-max": """
      The maximum number of log files to store.

      If set to 0, no log files will be written for the current run.
    """,
    "long": """
      Show extended information in `ls`, `search`, and `help-search`.
    """,
    "name": """
      When creating a Granular Access Token with `npm token create`,
      this sets the name/description for the token.
    """,
    "maxsockets": """
      The maximum number of connections to use per origin (protocol/host/port
      combination).
    """,
    "message": """
      Commit message which is used by `npm version` when creating version commit.

      Any "%s" in the message will be replaced with the version number.
    """,
    "min-release-age": """
       If set, npm will build the npm tree such that only versions that were
       available more than the given number of days ago will be installed.  If
       there are no versions available for the current set of dependencies, the
       command will error.

       This flag is a complement to `before`, which accepts an exact date
       instead of a relative number of days. The two may coexist (e.g.
       `min-release-age` in your `.npmrc` is preserved when npm internally
       spawns a sub-process with `--before` while preparing a `git:` or
       `github:` dependency); when both apply, `before` wins within a
       single source and across sources the standard precedence rules apply.

       When this window stops `npm audit fix` from installing a patched
       version (because the fix was published too recently), npm keeps the
       package at its vulnerable version, warns that the fix was blocked, and
       exits with a non-zero code. To install the fix, add the package to
       `min-release-age-exclude`, or relax `min-release-age` or `before`.

       Packages whose names match `min-release-age-exclude` are exempt from
       this filter.
    """,
    "min-release-age-exclude": """
       A list of package names or `minimatch` glob patterns that are exempt
       from the `min-release-age` (and `before`) filter. A matching package
       can always resolve to its newest version, even when a release-age window
       is set.

       For example, to apply a release-age window to third-party dependencies
       while letting internally maintained packages update immediately:

       ```
       min-release-age=7
       min-release-age-exclude[]=@myorg/*
       min-release-age-exclude[]=my-internal-pkg
       ```

       Only the named package is exempt; its own dependencies still follow the
       release-age policy unless they also match a pattern. Patterns match
       against the package name, so `@myorg/*` matches `@myorg/shared-utils`.

       Excluding a package does not change which registry it is fetched from. You
       should own your private scope on the public registry so that nobody else
       can publish a package with the same name.
    """,
    "node-gyp": """
      This is the location of the "node-gyp" bin.  By default it uses one that ships with npm itself.

      You can use this config to specify your own "node-gyp" to run when it is required to build a package.
    """,
    "node-options": """
      Options to pass through to Node.js via the `NODE_OPTIONS` environment
      variable.  This does not impact how npm itself is executed but it does
      impact how lifecycle scripts are called.
    """,
    "noproxy": """
      Domain extensions that should bypass any proxies.

      Also accepts a comma-delimited string.
    """,
    "offline": """
      Force offline mode: no network requests will be done during install. To allow
      the CLI to fill in missing cache data, see `--prefer-offline`.
    """,
    "omit": """
      Dependency types to omit from the installation tree on disk.

      Note that these dependencies _are_ still resolved and added to the
      `package-lock.json` or `npm-shrinkwrap.json` file.  They are just
      not physically installed on disk.

      If a package type appears in both the `--include` and `--omit`
      lists, then it will be included.

      If the resulting omit list includes `'dev'`, then the `NODE_ENV`
      environment variable will be set to `'production'` for all lifecycle
      scripts.
    """,
    "omit-lockfile-registry-resolved": """
      This option causes npm to create lock files without a `resolved` key for
      registry dependencies. Subsequent installs will need to resolve tarball
      endpoints with the configured registry, likely resulting in a longer install
      time.
    """,
    "only": """
      When set to `prod` or `production`, this is an alias for
      `--omit=dev`.
    """,
    "orgs": """
      When creating a Granular Access Token with `npm token create`,
      this limits the token access to specific organizations.
    """,
    "optional": """
      Alias for --include=optional or --omit=optional
    """,
    "os": """
      Override OS of native modules to install.
      Acceptable values are same as `os` field of package.json,
      which comes from `process.platform`.
    """,
    "otp": """
      This is a one-time password from a two-factor authenticator.  It's needed
      when publishing or changing package permissions with `npm access`.

      If not set, and a registry response fails with a challenge for a one-time
      password, npm will prompt on the command line for one.
    """,
    "package": """
      The package or packages to install for [`npm exec`](/commands/npm-exec)
    """,
    "package-lock": """
      If set to false, then ignore `package-lock.json` files when installing.
      This will also prevent _writing_ `package-lock.json` if `save` is
      true.
    """,
    "package-lock-only": """
      If set to true, the current operation will only use the `package-lock.json`,
      ignoring `node_modules`.

      For `update` this means only the `package-lock.json` will be updated,
      instead of checking `node_modules` and downloading dependencies.

      For `list` this means the output will be based on the tree described by the
      `package-lock.json`, rather than the contents of `node_modules`.
    """,
    "pack-destination": """
      Directory in which `npm pack` will save tarballs.
    """,
    "packages": """
      When creating a Granular Access Token with `npm token create`,
      this limits the token access to specific packages.
    """,
    "parseable": """
      Output parseable results from commands that write to standard output. For
      `npm search`, this will be tab-separated table format.
    """,
    "allow-scripts-pending": """
      List packages with install scripts that are not yet covered by the
      `allowScripts` policy, without modifying `package.json`. Only
      meaningful for `npm approve-scripts`.
    """,
    "allow-scripts-pin": """
      Write pinned (`pkg@version`) entries when approving install scripts.
      Set to `false` to write name-only entries that allow any version.
      Has no effect on `npm deny-scripts`, which always writes name-only
      entries regardless of this setting.
    """,
    "prefer-dedupe": """
      Prefer to deduplicate packages if possible, rather than
      choosing a newer version of a dependency.
    """,
    "prefer-offline": """
      If true, staleness checks for cached data will be bypassed, but missing
      data will be requested from the server. To force full offline mode, use
      `--offline`.
    """,
    "prefer-online": """
      If true, staleness checks for cached data will be forced, making the CLI
      look for updates immediately even for fresh package data.
    """,
    "prefix": """
      The location to install global items.  If set on the command line, then
      it forces non-global commands to run in the specified folder.
    """,
    "preid": """
      The "prerelease identifier" to use as a prefix for the "prerelease" part
      of a semver. Like the `rc` in `1.2.0-rc.8`.
    """,
    "production": "Alias for `--omit=dev`",
    "progress": """
      When set to `true`, npm will display a progress bar during time
      intensive operations, if `process.stderr` and `process.stdout` are a TTY.

      Set to `false` to suppress the progress bar.
    """,
    "provenance": """
      When publishing from a supported cloud CI/CD system, the package will be
      publicly linked to where it was built and published from.
    """,
    "provenance-file": """
      When publishing, the provenance bundle at the given path will be used.
    """,
    "proxy": """
      A proxy to use for outgoing http requests. If the `HTTP_PROXY` or
      `http_proxy` environment variables are set, proxy settings will be
      honored by the underlying `request` library.
    """,
    "read-only": """
      This is used to mark a token as unable to publish when configuring
      limited access tokens with the `npm token create` command.
    """,
    "rebuild-bundle": """
      Rebuild bundled dependencies after installation.
    """,
    "registry": """
      The base URL of the npm registry.
    """,
    "replace-registry-host": """
      Defines behavior for replacing the registry host in a lockfile with the
      configured registry.

      The default behavior is to replace package dist URLs from the default
      registry ({registry-origin}) to the configured registry. If set to
      "never", then use the registry value. If set to "always", then replace the
      registry host with the configured host every time.

      You may also specify a bare hostname (e.g., "{registry-host}") to only
      replace URLs coming from that host.

      You may also specify a full URL including a path (e.g.,
      "https://old-registry.example.com/npm/path"). In that case, resolved URLs
      whose host and path begin with that prefix will have the entire prefix
      replaced with the configured registry URL (host and path), without
      duplicating path segments.
    """,
    "save": """
      Save installed packages to a `package.json` file as dependencies.

      When used with the `npm rm` command, removes the dependency from
      `package.json`.

      Will also prevent writing to `package-lock.json` if set to `false`.
    """,
    "save-bundle": """
      If a package would be saved at install time by the use of `--save`,
      `--save-dev`, or `--save-optional`, then also put it in the
      `bundleDependencies` list.

      Ignored if `--save-peer` is set, since peerDependencies cannot be bundled.
    """,
    "save-dev": """
      Save installed packages to a package.json file as `devDependencies`.
    """,
    "save-exact": """
      Dependencies saved to package.json will be configured with an exact
      version rather than using npm's default semver range operator.
    """,
    "save-optional": """
      Save installed packages to a package.json file as
      `optionalDependencies`.
    """,
    "save-peer": """
      Save installed packages to a package.json file as `peerDependencies`
    """,
    "save-prefix": """
      Configure how versions of packages installed to a package.json file via
      `--save` or `--save-dev` get prefixed.

      For example if a package has version `1.2.3`, by default its version is
      set to `^1.2.3` which allows minor upgrades for that package, but after
      `npm config set save-prefix='~'` it would be set to `~1.2.3` which
      only allows patch upgrades.
    """,
    "save-prod": """
      Save installed packages into `dependencies` specifically. This is
      useful if a package already exists in `devDependencies` or
      `optionalDependencies`, but you want to move it to be a non-optional
      production dependency.

      This is the default behavior if `--save` is true, and neither
      `--save-dev` or `--save-optional` are true.
    """,
    "sbom-format": """
      SBOM format to use when generating SBOMs.
    """,
    "sbom-type": """
      The type of package described by the generated SBOM. For SPDX, this is the
      value for the `primaryPackagePurpose` field. For CycloneDX, this is the
      value for the `type` field.
    """,
    "scope": """
      Associate an operation with a scope for a scoped registry.

      Useful when logging in to or out of a private registry:

      ```
      # log in, linking the scope to the custom registry
      npm login --scope=@mycorp --registry=https://registry.mycorp.com

      # log out, removing the link and the auth token
      npm logout --scope=@mycorp
      ```

      This will cause `@mycorp` to be mapped to the registry for future
      installation of packages specified according to the pattern
      `@mycorp/package`.

      This will also cause `npm init` to create a scoped package.

      ```
      # accept all defaults, and create a package named "@foo/whatever",
      # instead of just named "whatever"
      npm init --scope=@foo --yes
      ```
    """,
    "scopes": """
      When creating a Granular Access Token with `npm token create`,
      this limits the token access to specific scopes. Provide
      a scope name (with or without @ prefix).
    """,
    "packages-all": """
      When creating a Granular Access Token with `npm token create`,
      grants the token access to all packages instead of limiting to
      specific packages.
    """,
    "packages-and-scopes-permission": """
      When creating a Granular Access Token with `npm token create`,
      sets the permission level for packages and scopes. Options are
      "read-only", "read-write", or "no-access".
    """,
    "orgs-permission": """
      When creating a Granular Access Token with `npm token create`,
      sets the permission level for organizations. Options are
      "read-only", "read-write", or "no-access".
    """,
    "password": """
      Password for authentication. Can be provided via command line when
      creating tokens, though it's generally safer to be prompted for it.
    """,
    "token-description": """
      Description text for the token when using `npm token create`.
    """,
    "script-shell": """
      The shell to use for scripts run with the `npm exec`,
      `npm run` and `npm init <package-spec>` commands.
    """,
    "searchexclude": """
      Space-separated options that limit the results from search.
    """,
    "searchlimit": """
      Number of items to limit search results to. Will not apply at all to
      legacy searches.
    """,
    "searchopts": """
      Space-separated options that are always passed to search.
    """,
    "searchstaleness": """
      The age of the cache, in seconds, before another registry request is made
      if using legacy search endpoint.
    """,
    "shell": """
      The shell to run for the `npm explore` command.
    """,
    "shrinkwrap": """
      Alias for --package-lock
    """,
    "sign-git-commit": """
      If set to true, then the `npm version` command will commit the new
      package version using `-S` to add a signature.

      Note that git requires you to have set up GPG keys in your git configs
      for this to work properly.
    """,
    "sign-git-tag": """
      If set to true, then the `npm version` command will tag the version
      using `-s` to add a signature.

      Note that git requires you to have set up GPG keys in your git configs
      for this to work properly.
    """,
    "strict-peer-deps": """
      If set to `true`, and `--legacy-peer-deps` is not set, then _any_
      conflicting `peerDependencies` will be treated as an install failure,
      even if npm could reasonably guess the appropriate resolution based on
      non-peer dependency relationships.

      By default, conflicting `peerDependencies` deep in the dependency graph
      will be resolved using the nearest non-peer dependency specification,
      even if doing so will result in some packages receiving a peer dependency
      outside the range set in their package's `peerDependencies` object.

      When such an override is performed, a warning is printed, explaining the
      conflict and the packages involved.  If `--strict-peer-deps` is set,
      then this warning is treated as a failure.
    """,
    "strict-allow-scripts": """
      If `true`, turn the install-script policy from a warning into a hard
      error: any dependency with install scripts not covered by
      `allowScripts` will fail the install instead of running with a
      notice.

      Dependencies explicitly denied with `false` in `allowScripts` are
      always silently skipped; this setting only affects unreviewed entries.
      `--ignore-scripts` and `--dangerously-allow-all-scripts` both
      override this setting.

      Optional dependencies that cannot be installed on the current platform
      or engine (a non-matching `os`, `cpu`, or `libc`) are not flagged,
      because their install scripts never run.
    """,
    "strict-ssl": """
      Whether or not to do SSL key validation when making requests to the
      registry via https.

      See also the `ca` config.
    """,
    "tag": """
      If you ask npm to install a package and don't tell it a specific version,
      then it will install the specified tag.

      It is the tag added to the package@version specified in the
      `npm dist-tag add` command, if no explicit tag is given.

      When used by the `npm diff` command, this is the tag used to fetch the
      tarball that will be compared with the local files by default.

      If used in the `npm publish` command, this is the tag that will be
      added to the package submitted to the registry.
    """,
    "tag-version-prefix": """
      If set, alters the prefix used when tagging a new version when performing
      a version increment using  `npm version`. To remove the prefix
      altogether, set it to the empty string: `""`.

      Because other tools may rely on the convention that npm version tags look
      like `v1.0.0`, _only use this property if it is absolutely necessary_.
      In particular, use care when overriding this setting for public packages.
    """,
    "timing": """
      If true, writes timing information to a process specific json file in
      the cache or `logs-dir`. The file name ends with `-timing.json`.

      You can quickly view it with this [json](https://npm.im/json) command
      line: `cat ~/.npm/_logs/*-timing.json | npm exec -- json -g`.

      Timing information will also be reported in the terminal. To suppress this
      while still writing the timing file, use `--silent`.
    """,
    "umask": """
      The "umask" value to use when setting the file creation mode on files and
      folders.

      Folders and executables are given a mode which is `0o777` masked
      against this value.  Other files are given a mode which is `0o666`
      masked against this value.

      Note that the underlying system will _also_ apply its own umask value to
      files and folders that are created, and npm does not circumvent this, but
      rather adds the `--umask` config to it.

      Thus, the effective default umask value on most POSIX systems is 0o22,
      meaning that folders and executables are created with a mode of 0o755 and
      other files are created with a mode of 0o644.
    """,
    "unicode": """
      When set to true, npm uses unicode characters in the tree output.  When
      false, it uses ascii characters instead of unicode glyphs.
    """,
    "update-notifier": """
      Set to false to suppress the update notification when using an older
      version of npm than the latest.
    """,
    "usage": """
      Show short usage output about the command specified.
    """,
    "user-agent": """
      Sets the User-Agent request header.  The following fields are replaced
      with their actual counterparts:

      * `{npm-version}` - The npm version in use
      * `{node-version}` - The Node.js version in use
      * `{platform}` - The value of `process.platform`
      * `{arch}` - The value of `process.arch`
      * `{workspaces}` - Set to `true` if the `workspaces` or `workspace`
        options are set.
      * `{ci}` - The value of the `ci-name` config, if set, prefixed with
        `ci/`, or an empty string if `ci-name` is empty.
    """,
    "userconfig": """
      The location of user-level configuration settings.

      This may be overridden by the `npm_config_userconfig` environment
      variable or the `--userconfig` command line option, but may _not_
      be overridden by settings in the `globalconfig` file.
    """,
    "version": """
      If true, output the npm version and exit successfully.

      Only relevant when specified explicitly on the command line.
    """,
    "versions": """
      If true, output the npm version as well as node's `process.versions`
      map and the version in the current working directory's `package.json`
      file if one exists, and exit successfully.

      Only relevant when specified explicitly on the command line.
    """,
    "viewer": """
      The program to use to view help content.

      Set to `"browser"` to view html help content in the default web browser.
    """,
    "which": """
      If there are multiple funding sources, which 1-indexed source URL to open.
    """,
    "workspace": """
      Enable running a command in the context of the configured workspaces of the
      current project while filtering by running only the workspaces defined by
      this configuration option.

      Valid values for the `workspace` config are either:

      * Workspace names
      * Path to a workspace directory
      * Path to a parent workspace directory (will result in selecting all
        workspaces within that folder)

      When set for the `npm init` command, this may be set to the folder of
      a workspace which does not yet exist, to create the folder and set it
      up as a brand new workspace within the project.
    """,
    "workspaces": """
      Set to true to run the command in the context of **all** configured
      workspaces.

      Explicitly setting this to false will cause commands like `install` to
      ignore workspaces altogether.
      When not set explicitly:

      - Commands that operate on the `node_modules` tree (install, update,
        etc.) will link workspaces into the `node_modules` folder.
      - Commands that do other things (test, exec, publish, etc.) will operate
        on the root project, _unless_ one or more workspaces are specified in
        the `workspace` config.
    """,
    "workspaces-update": """
      If set to true, the npm cli will run an update after operations that may
      possibly change the workspaces installed to the `node_modules` folder.
    """,
    "yes": """
      Automatically answer "yes" to any prompts that npm might print on
      the command line.
    """,
}
# fmt: on
