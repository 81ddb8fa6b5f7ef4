/**
 * The help text of the Hub's account commands, on its own so that the shared parsing that prints
 * it and the `nocker hub` entry that lists it both import it without a cycle.
 */
/** The help of every `nocker hub user|namespace|policy|robot|token|audit` command. */
export const HUB_ADMIN_HELP = `Managing a running Hub, as the account "nocker login" saved for it (options: --hub HUB, --json):
  nocker hub user list
  nocker hub user create NAME [--admin] [--password-stdin]
  nocker hub user passwd NAME [--password-stdin]
  nocker hub user delete NAME
      Without --password-stdin the password is asked for on a terminal; elsewhere a strong
      one is generated and printed once.

  nocker hub namespace list
  nocker hub namespace create NAME [--public]
  nocker hub namespace show NAME
  nocker hub namespace set NAME [--visibility public|private] [--immutable-tags on|off]
                                [--delete-policy developer|maintainer|owner|admin]
  nocker hub namespace delete NAME
  nocker hub namespace members NAME
  nocker hub namespace member add NAME ACCOUNT ROLE      ROLE: owner, maintainer, developer, reader
  nocker hub namespace member remove NAME ACCOUNT

  nocker hub policy list NAMESPACE
  nocker hub policy show NAMESPACE [--env ENV]
  nocker hub policy set NAMESPACE [--env ENV] --mode enforce|warn|off [--key [NAME=]PUB.pem …]
                        [--root [NAME=]CA.pem … --identity ISSUER=SUBJECT_REGEX …] [--required N]
  nocker hub policy delete NAMESPACE [--env ENV]
      Trust policies: which signatures the Hub asks of a namespace's images pulled for ENV
      (default production). enforce serves only images signed by N (default 1) of the keys
      and identities, warn serves others with a warning, off does not check. A key or root
      is named after its file (release.pub: release) unless NAME= is given. Keyless signers
      need both: --root, a CA certificate their certificates chain to, and --identity, the
      OIDC issuer (exact) and a regular expression matched against the whole subject, split
      at the first =. Owners and administrators set them.

  nocker hub vulnerability-policy list NAMESPACE
  nocker hub vulnerability-policy show NAMESPACE [--env ENV]
  nocker hub vulnerability-policy set NAMESPACE [--env ENV] --mode enforce|warn|off
                        --severity critical|high|medium|low [--allow ID[@EXPIRY][=REASON] …]
  nocker hub vulnerability-policy delete NAMESPACE [--env ENV]
      Vulnerability policies: which images of a namespace the Hub serves for ENV (default
      production) by what their last scan found. enforce refuses images with vulnerabilities
      that have a fix and are of --severity or worse, warn serves them with a warning, off
      does not check. Images not scanned yet are served. --allow lets one vulnerability
      through, until EXPIRY (a date such as 2030-01-31, through that day, or a duration such
      as 30d) when given. Owners and administrators set them.

  nocker hub robot list
  nocker hub robot create NAME --access REPOSITORY:ACTIONS [--access …] [--expires 30d|DATE]
                               [--description TEXT]
      REPOSITORY is a repository name, a prefix ending in /* (team/*) or * for all; ACTIONS a
      comma list of pull, push, delete. Prints robot$NAME and its secret, once.
  nocker hub robot delete NAME

  nocker hub token list
  nocker hub token revoke ID

  nocker hub audit [--repository R] [--actor A] [--action X] [--since 1h|DATE] [--until 1h|DATE]
                   [--limit N] [--before CURSOR]
      The audit log, newest first (administrators only).

  nocker hub vulndb import PATH
      Load OSV vulnerability records into the Hub's offline database (administrators only).
      PATH is a directory (every *.json below it), one .json file, or a .zip such as OSV's
      per-ecosystem all.zip. A stored record is replaced only by a copy modified later; the
      images whose packages the changed records name are matched again.
  nocker hub vulndb status
      The database's version, its records per ecosystem and the last import.

Examples:
  nocker hub namespace create team --public
  nocker hub namespace member add team alice developer
  nocker hub policy set team --env production --mode enforce --key release.pub --key ci=cosign.pub --required 2
  nocker hub policy set team --mode enforce --root fulcio=ca.pem --identity https://token.actions.githubusercontent.com='https://github\\.com/team/.+'
  nocker hub vulnerability-policy set team --mode enforce --severity high --allow CVE-2024-3094@30d='not in our build'
  nocker hub robot create ci --access 'team/*:pull,push' --expires 90d
  nocker hub audit --repository team/app --since 24h --json
  nocker hub vulndb import ~/osv/Debian/all.zip
`;
