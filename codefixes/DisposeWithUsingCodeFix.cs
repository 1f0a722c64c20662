using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using PinAnalyzers.Flow;

namespace PinAnalyzers.CodeFixes
{
    /// <summary>
    /// "Dispose with <c>using</c>" for the disposable pins kept in a local: PIN3002 (a <c>MemoryHandle</c>), PIN5001
    /// (a <c>PinLease&lt;T&gt;</c> / <c>MappedViewLease</c>) and PIN5003 (a <c>PinScope&lt;T&gt;</c> / <c>MappedViewScope</c>).
    /// The statements after the pin move into a <c>using</c> (or a <c>try</c>/<c>finally</c> that disposes it when the
    /// code also disposes it on the way), and the old disposals go away. The rewrite is <see cref="ReleaseOnEveryPath"/>,
    /// the same as PIN1002's. See docs/rules/PIN3002.md, PIN5001.md, PIN5003.md.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(DisposeWithUsingCodeFix)), Shared]
    public sealed class DisposeWithUsingCodeFix : CodeFixProvider
    {
        public const string MemoryHandleEquivalenceKey = "PIN3002.DisposeWithUsing";
        public const string LeaseEquivalenceKey = "PIN5001.DisposeWithUsing";
        public const string ScopeEquivalenceKey = "PIN5003.DisposeWithUsing";

        private static readonly ImmutableArray<Rule> s_rules = ImmutableArray.Create(
            new Rule(Descriptors.PIN3002MemoryHandleNotDisposed.Id, MemoryHandleEquivalenceKey, "Dispose the memory handle with using", PinKind.MemoryHandle),
            new Rule(Descriptors.PIN5001LeaseNotDisposed.Id, LeaseEquivalenceKey, "Dispose the lease with using", PinKind.Lease),
            new Rule(Descriptors.PIN5003ScopeNotDisposed.Id, ScopeEquivalenceKey, "Dispose the scope with using", PinKind.LeaseScope));

        private static readonly FixAllProvider s_fixAll = PinFixes.CreateFixAll(context => RuleFor(context.CodeActionEquivalenceKey)?.Rewrite);

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.CreateRange(s_rules, r => r.Id);

        public override FixAllProvider GetFixAllProvider() => s_fixAll;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            foreach (var diagnostic in context.Diagnostics)
            {
                if (RuleForId(diagnostic.Id) is not { } rule)
                {
                    continue;
                }

                var fixedDocument = await PinFixes.FixOneAsync(context.Document, diagnostic.Location.SourceSpan, rule.Rewrite, context.CancellationToken).ConfigureAwait(false);
                if (fixedDocument is not null)
                {
                    context.RegisterCodeFix(CodeAction.Create(rule.Title, _ => Task.FromResult(fixedDocument), rule.EquivalenceKey), diagnostic);
                }
            }
        }

        private static Rule? RuleFor(string? equivalenceKey)
        {
            foreach (var rule in s_rules)
            {
                if (rule.EquivalenceKey == equivalenceKey)
                {
                    return rule;
                }
            }

            return null;
        }

        private static Rule? RuleForId(string id)
        {
            foreach (var rule in s_rules)
            {
                if (rule.Id == id)
                {
                    return rule;
                }
            }

            return null;
        }

        private sealed class Rule
        {
            private readonly ImmutableArray<PinKind> _kinds;

            internal Rule(string id, string equivalenceKey, string title, PinKind kind)
            {
                Id = id;
                EquivalenceKey = equivalenceKey;
                Title = title;
                _kinds = ImmutableArray.Create(kind);
                Rewrite = RewriteAsync;
            }

            internal string Id { get; }

            internal string EquivalenceKey { get; }

            internal string Title { get; }

            internal PinRewrite Rewrite { get; }

            private Task<SyntaxNode?> RewriteAsync(Document document, SyntaxNode root, ExpressionSyntax pin, CancellationToken cancellationToken)
                => ReleaseOnEveryPath.RewriteAsync(document, root, pin, _kinds, cancellationToken);
        }
    }
}
