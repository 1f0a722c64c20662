using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using PinAnalyzers.Flow;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace PinAnalyzers.CodeFixes
{
    /// <summary>How a release-on-every-path fix may end a pin with <c>using</c>.</summary>
    internal enum ReleaseUsing
    {
        /// <summary>Not disposable (a <c>GCHandle</c>): always <c>try</c>/<c>finally</c>.</summary>
        Never,

        /// <summary>The type implements <c>IDisposable</c>: a <c>using</c> statement in any language version.</summary>
        Disposable,

        /// <summary>A ref struct with a <c>Dispose()</c> method: pattern-based <c>using</c>, C# 8 and later.</summary>
        Pattern,
    }

    /// <summary>
    /// One row of the release table: a kind of pin kept in a local and how the code ends it. Adding a kind to the
    /// "release on every path" fixes is adding a row to <see cref="ReleaseKinds.All"/> and naming its diagnostic id in
    /// a fixer's <c>FixableDiagnosticIds</c>.
    /// </summary>
    internal sealed class ReleaseKind
    {
        internal ReleaseKind(
            PinKind kind,
            string releaseName,
            Func<PinApis, ITypeSymbol?, bool> isHolderType,
            ReleaseUsing usingForm,
            string? allocatedGuard = null,
            ImmutableHashSet<string>? readMethods = null,
            ImmutableHashSet<string>? readProperties = null,
            ImmutableHashSet<string>? writableProperties = null,
            bool releasesReceiver = false)
        {
            Kind = kind;
            ReleasesReceiver = releasesReceiver;
            ReleaseName = releaseName;
            _isHolderType = isHolderType;
            Using = usingForm;
            AllocatedGuard = allocatedGuard;
            _readMethods = readMethods;
            _readProperties = readProperties;
            WritableProperties = writableProperties ?? ImmutableHashSet<string>.Empty;
        }

        private readonly Func<PinApis, ITypeSymbol?, bool> _isHolderType;

        /// <summary>Null: any method but the release leaves the pin as it is (a class, or a ref struct whose copies share state).</summary>
        private readonly ImmutableHashSet<string>? _readMethods;

        /// <summary>Null: any property read leaves the pin as it is.</summary>
        private readonly ImmutableHashSet<string>? _readProperties;

        /// <summary>The pin kind of the site (<see cref="PinSite.Kind"/>) this row serves.</summary>
        internal PinKind Kind { get; }

        /// <summary>The parameterless member that ends the pin: <c>Free</c>, <c>Dispose</c>.</summary>
        internal string ReleaseName { get; }

        internal ReleaseUsing Using { get; }

        /// <summary>
        /// The pin is a call statement on the object that holds it (<c>view.AcquirePointer(ref p);</c>), released by
        /// the same call on the same receiver (<c>view.ReleasePointer();</c>); any other use of the receiver is a read.
        /// A second release is not harmless then: an early release on one path means no fix.
        /// </summary>
        internal bool ReleasesReceiver { get; }

        /// <summary>The property that says the pin is still held (<c>IsAllocated</c>), which guards a second release; null when releasing twice is harmless.</summary>
        internal string? AllocatedGuard { get; }

        /// <summary>Properties a <c>try</c> may assign (<c>Target</c>), which rule out a read-only <c>using</c> variable.</summary>
        internal ImmutableHashSet<string> WritableProperties { get; }

        internal PinApis Apis { get; private set; } = null!;

        internal bool IsHolderType(ITypeSymbol? type) => _isHolderType(Apis, type);

        internal bool ReadsMethod(string name, ISymbol? symbol)
            => _readMethods is null ? symbol is IMethodSymbol { IsStatic: false } : _readMethods.Contains(name);

        internal bool ReadsProperty(string name, ISymbol? symbol)
            => _readProperties is null ? symbol is IPropertySymbol { IsStatic: false } : _readProperties.Contains(name);

        internal ReleaseKind With(PinApis apis) => new(Kind, ReleaseName, _isHolderType, Using, AllocatedGuard, _readMethods, _readProperties, WritableProperties, ReleasesReceiver) { Apis = apis };
    }

    /// <summary>
    /// The table behind every "release on every path" fix (PIN1002, PIN3002, PIN5001, PIN5003): one row per kind of
    /// pin kept in a local.
    /// </summary>
    /// <remarks>
    /// PIN4002 (a view pointer from <c>SafeMemoryMappedViewHandle.AcquirePointer(ref p)</c>) joins with one row once
    /// its pin kind exists — <c>new ReleaseKind(PinKind.&lt;view pointer&gt;, "ReleasePointer", (apis, t) =&gt; &lt;t is
    /// SafeMemoryMappedViewHandle, by symbol&gt;, ReleaseUsing.Never, releasesReceiver: true)</c> — with its site
    /// recognised by <see cref="Find"/> and <c>PIN4002</c> in a fixer's ids (a "Release in finally" fixer like
    /// <see cref="FreeInFinallyCodeFix"/>). The receiver shape is tested in ReleaseOnEveryPathTests.
    /// </remarks>
    internal static class ReleaseKinds
    {
        private static readonly ImmutableHashSet<string> s_handleMethods = ImmutableHashSet.Create(
            "AddrOfPinnedObject", "GetAddressOfObjectData", "GetAddressOfArrayData", "GetAddressOfStringData", "GetHashCode", "ToString", "Equals");

        private static readonly ImmutableHashSet<string> s_objectMethods = ImmutableHashSet.Create("GetHashCode", "ToString", "Equals");

        internal static readonly ImmutableArray<ReleaseKind> All = ImmutableArray.Create(
            // GCHandle.Alloc(x, Pinned): Free() in finally; a second Free is guarded by IsAllocated.
            new ReleaseKind(PinKind.GCHandle, "Free", (apis, t) => apis.IsGCHandle(t), ReleaseUsing.Never, "IsAllocated",
                s_handleMethods, ImmutableHashSet.Create("IsAllocated", "Target"), ImmutableHashSet.Create("Target")),
            // new PinnedGCHandle<T>(x): using.
            new ReleaseKind(PinKind.TypedHandle, "Dispose", (apis, t) => apis.IsPinnedGCHandle(t), ReleaseUsing.Disposable, null,
                s_handleMethods, ImmutableHashSet.Create("IsAllocated", "Target"), ImmutableHashSet.Create("Target")),
            // memory.Pin(): a MemoryHandle struct, using.
            new ReleaseKind(PinKind.MemoryHandle, "Dispose", (apis, t) => apis.IsMemoryHandle(t), ReleaseUsing.Disposable, null,
                s_objectMethods, ImmutableHashSet.Create("Pointer")),
            // PinLease<T>.Acquire / Allocate, MappedViewLease.Acquire: a class, using.
            new ReleaseKind(PinKind.Lease, "Dispose", (apis, t) => apis.IsLease(t), ReleaseUsing.Disposable),
            // lease.Enter(): a ref struct scope, pattern-based using (its copies share one ticket).
            new ReleaseKind(PinKind.LeaseScope, "Dispose", (apis, t) => apis.IsLeaseScope(t), ReleaseUsing.Pattern));

        /// <summary>The pin site at <paramref name="operation"/>, if it is one of the table's kinds.</summary>
        internal static PinSite? Find(IOperation operation, PinApis apis)
            => HandlePinSites.Find(operation, apis) ?? (apis.HasLeases ? LeaseAnalyzer.FindSite(operation, apis) : null);
    }

    /// <summary>
    /// The rewrite the "release on every path" fixes share: the statements after a pin kept in a local move into a
    /// <c>try</c> whose <c>finally</c> releases it, or into a <c>using</c> when the kind allows one, and the releases
    /// they made themselves go away.
    /// </summary>
    /// <remarks>
    /// The protected region ends where the pin ended before: at the last top-level release of the block when nothing
    /// after it needs the pin or a local declared in between, else at the end of the block. The fix is offered only
    /// when every use of the holder is a member access that leaves it as it is (no copies, no reassignment) and no
    /// label would end up inside the region; otherwise a double release or a compile error could follow.
    /// </remarks>
    internal static class ReleaseOnEveryPath
    {
        /// <summary>The new root with the pin at <paramref name="pin"/> released on every path, or null when it cannot be done safely.</summary>
        internal static async Task<SyntaxNode?> RewriteAsync(Document document, SyntaxNode root, ExpressionSyntax pin, ImmutableArray<PinKind> kinds, CancellationToken cancellationToken)
        {
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (model is null || PinApis.Create(model.Compilation) is not { } apis)
            {
                return null;
            }

            if (model.GetOperation(pin, cancellationToken) is not { } operation || ReleaseKinds.Find(operation, apis) is not { } site || !kinds.Contains(site.Kind))
            {
                return null;
            }

            var kind = ReleaseKinds.All.FirstOrDefault(k => k.Kind == site.Kind);
            if (kind is null)
            {
                return null;
            }

            var rewriter = new Rewriter(model, kind.With(apis), cancellationToken);
            var block = rewriter.Rewrite(pin);
            return block is null ? null : root.ReplaceNode(block.Value.Old, block.Value.New);
        }

        /// <summary>The rewrite for a pin of the given row, its site not checked (for rows whose analyzer is not in yet).</summary>
        internal static async Task<SyntaxNode?> RewriteAsync(Document document, SyntaxNode root, ExpressionSyntax pin, ReleaseKind kind, CancellationToken cancellationToken)
        {
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (model is null || PinApis.Create(model.Compilation) is not { } apis)
            {
                return null;
            }

            var block = new Rewriter(model, kind.With(apis), cancellationToken).Rewrite(pin);
            return block is null ? null : root.ReplaceNode(block.Value.Old, block.Value.New);
        }

        private enum Use
        {
            /// <summary>A call or property read that leaves the handle as it is.</summary>
            Read,

            /// <summary><c>h.Target = x</c>: fine in a try, not on a read-only <c>using</c> variable.</summary>
            Write,

            /// <summary><c>h.Free()</c> or <c>h.Dispose()</c>.</summary>
            Release,

            /// <summary><c>h = ...</c>.</summary>
            Assignment,

            /// <summary>A copy, a ref, an unknown member: the fix cannot follow the handle.</summary>
            Other,
        }

        private sealed class Rewriter
        {
            private readonly SemanticModel _model;
            private readonly ReleaseKind _kind;
            private readonly CancellationToken _cancellationToken;
            private ISymbol _holder = null!;
            private SyntaxToken _holderName;

            /// <summary>For <see cref="ReleaseKind.ReleasesReceiver"/>: the receiver of the pin call, which the release calls again.</summary>
            private ExpressionSyntax? _receiver;
            private SyntaxTrivia _endOfLine = CarriageReturnLineFeed;

            internal Rewriter(SemanticModel model, ReleaseKind kind, CancellationToken cancellationToken)
            {
                _model = model;
                _kind = kind;
                _cancellationToken = cancellationToken;
            }

            private string ReleaseName => _kind.ReleaseName;

            internal (BlockSyntax Old, BlockSyntax New)? Rewrite(ExpressionSyntax pin)
            {
                var value = PinFixes.WalkUpParentheses(pin);
                StatementSyntax statement;
                bool declared;
                switch (value.Parent)
                {
                    case EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator }
                        when declarator.Parent is VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax local }
                            && local.UsingKeyword.IsKind(SyntaxKind.None)
                            && local.AwaitKeyword.IsKind(SyntaxKind.None)
                            && !local.IsConst:
                        if (_model.GetDeclaredSymbol(declarator, _cancellationToken) is not ILocalSymbol { IsRef: false } declaredLocal)
                        {
                            return null;
                        }

                        _holder = declaredLocal;
                        _holderName = declarator.Identifier;
                        statement = local;
                        declared = true;
                        break;

                    case AssignmentExpressionSyntax { Parent: ExpressionStatementSyntax expressionStatement, Left: IdentifierNameSyntax left } assignment
                        when assignment.IsKind(SyntaxKind.SimpleAssignmentExpression) && assignment.Right == value:
                        var assigned = _model.GetSymbolInfo(left, _cancellationToken).Symbol;
                        if (assigned is not (ILocalSymbol { IsRef: false } or IParameterSymbol { RefKind: RefKind.None }))
                        {
                            return null;
                        }

                        _holder = assigned;
                        _holderName = left.Identifier;
                        statement = expressionStatement;
                        declared = false;
                        break;

                    case ExpressionStatementSyntax callStatement when _kind.ReleasesReceiver
                        && value == pin
                        && pin is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { RawKind: (int)SyntaxKind.SimpleMemberAccessExpression, Expression: var receiver } }
                        && ReceiverRoot(receiver) is { } rootName
                        && _model.GetSymbolInfo(rootName, _cancellationToken).Symbol is ILocalSymbol { IsRef: false } or IParameterSymbol { RefKind: RefKind.None }:
                        // view.AcquirePointer(ref p); — the holder is the variable the receiver starts from.
                        _holder = _model.GetSymbolInfo(rootName, _cancellationToken).Symbol!;
                        _holderName = rootName.Identifier;
                        _receiver = receiver.WithoutTrivia();
                        statement = callStatement;
                        declared = true;
                        break;

                    default:
                        // A discarded pin, an expression body, a pin inside a larger expression: no safe rewrite.
                        return null;
                }

                var holderType = _receiver is not null
                    ? _model.GetTypeInfo(((MemberAccessExpressionSyntax)((InvocationExpressionSyntax)pin).Expression).Expression, _cancellationToken).Type
                    : _holder is ILocalSymbol l ? l.Type : ((IParameterSymbol)_holder).Type;
                if (!_kind.IsHolderType(holderType) || statement.Parent is not BlockSyntax block)
                {
                    return null;
                }

                var index = block.Statements.IndexOf(statement);
                var endOfLine = statement.GetTrailingTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
                if (endOfLine.IsKind(SyntaxKind.EndOfLineTrivia))
                {
                    _endOfLine = endOfLine;
                }

                var rest = block.Statements.Skip(index + 1).ToList();
                if (rest.Any(s => s is LabeledStatementSyntax))
                {
                    // A goto from before the pin into the try (or past a using declaration) would not compile.
                    return null;
                }

                // Every use of the handle after the pin must be a member access on it.
                var writes = false;
                var releaseStatements = new HashSet<StatementSyntax>(rest.Where(IsReleaseStatement));
                var nestedRelease = false;
                foreach (var identifier in References(rest))
                {
                    switch (Classify(identifier))
                    {
                        case Use.Read:
                            break;
                        case Use.Write:
                            writes = true;
                            break;
                        case Use.Release:
                            if (!identifier.Ancestors().OfType<StatementSyntax>().Any(releaseStatements.Contains))
                            {
                                nestedRelease = true;
                            }

                            break;
                        default:
                            return null;
                    }
                }

                if (!declared && !OutsideUsesAreSafe(statement, block))
                {
                    return null;
                }

                if (_receiver is not null && nestedRelease)
                {
                    // A release inside the region and another in the finally would release twice.
                    return null;
                }

                // The protected region: up to the last top-level release when nothing after it needs what it declared.
                var lastRelease = rest.FindLastIndex(releaseStatements.Contains);
                var protectedCount = rest.Count;
                if (lastRelease >= 0 && lastRelease < rest.Count - 1)
                {
                    var candidate = rest.Take(lastRelease + 1).ToList();
                    var tailStatements = rest.Skip(lastRelease + 1).ToList();
                    // A using declaration in the region would be disposed at the end of the try instead of the
                    // block: the statements after it may rely on it without naming it (a lock, a scope).
                    if (!References(tailStatements).Any()
                        && !UsesDeclarationsOf(tailStatements, candidate)
                        && !candidate.Any(s => s is LocalDeclarationStatementSyntax { UsingKeyword.RawKind: (int)SyntaxKind.UsingKeyword }))
                    {
                        protectedCount = lastRelease + 1;
                    }
                }

                var region = WithoutReleases(rest.Take(protectedCount), releaseStatements);
                var tail = rest.Skip(protectedCount).ToList();

                // Local functions at the end of the region stay outside the try when they can.
                var moved = TrailingLocalFunctions(region);
                region = region.Take(region.Count - moved.Count).ToList();
                if (DeclarationsUsedOutside(region, block, statement))
                {
                    return null;
                }

                var before = block.Statements.Take(index).ToList();
                var statements = new List<StatementSyntax>(before);
                // A using variable is read-only: a release or a write inside would act on a copy of a struct, and the
                // using would release the original a second time.
                var languageVersion = PinFixes.LanguageVersionOf(block);
                var usingAllowed = _kind.Using switch
                {
                    ReleaseUsing.Disposable => true,
                    ReleaseUsing.Pattern => languageVersion >= LanguageVersion.CSharp8,
                    _ => false,
                } && declared && !writes && !nestedRelease;
                if (usingAllowed && tail.Count == 0 && languageVersion >= LanguageVersion.CSharp8)
                {
                    // using var h = new PinnedGCHandle<T>(x); — disposed at the end of the block.
                    var local = (LocalDeclarationStatementSyntax)statement;
                    statements.Add(local
                        .WithUsingKeyword(Token(local.GetLeadingTrivia(), SyntaxKind.UsingKeyword, TriviaList(Space)))
                        .WithDeclaration(local.Declaration.WithLeadingTrivia())
                        .WithAdditionalAnnotations(Formatter.Annotation));
                    statements.AddRange(region);
                    statements.AddRange(moved);
                }
                else if (region.Count == 0)
                {
                    // Nothing between the pin and its release: free it right away.
                    statements.Add(statement);
                    statements.Add(ReleaseStatement(guarded: false).WithAdditionalAnnotations(Formatter.Annotation));
                    statements.AddRange(moved);
                }
                else if (usingAllowed)
                {
                    // using (var h = new PinnedGCHandle<T>(x)) { ... } — the pin ends where it ended before.
                    var local = (LocalDeclarationStatementSyntax)statement;
                    statements.Add(UsingStatement(local.Declaration.WithoutTrivia(), null, Body(region))
                        .WithLeadingTrivia(local.GetLeadingTrivia())
                        .WithTrailingTrivia(local.GetTrailingTrivia())
                        .WithAdditionalAnnotations(Formatter.Annotation));
                    statements.AddRange(moved);
                }
                else
                {
                    // A GCHandle freed inside the region as well is zeroed by that Free: only a live one is freed again.
                    // The Dispose of the other kinds does nothing the second time on the same variable.
                    var release = ReleaseStatement(guarded: nestedRelease && _kind.AllocatedGuard is not null);
                    statements.Add(statement);
                    statements.Add(TryStatement(Body(region), List<CatchClauseSyntax>(), FinallyClause(Block(release)))
                        .WithAdditionalAnnotations(Formatter.Annotation));
                    statements.AddRange(moved);
                }

                statements.AddRange(tail);

                // A closing brace is followed by a blank line.
                var after = statements.FindIndex(s => s is TryStatementSyntax or UsingStatementSyntax && s.HasAnnotation(Formatter.Annotation)) + 1;
                if (after > 0 && after < statements.Count)
                {
                    statements[after] = WithBlankLineBefore(statements[after]);
                }

                return (block, block.WithStatements(List(statements)));
            }

            /// <summary>The statements without the releases; a blank line before a removed release stays.</summary>
            private List<StatementSyntax> WithoutReleases(IEnumerable<StatementSyntax> statements, HashSet<StatementSyntax> releases)
            {
                var kept = new List<StatementSyntax>();
                var blankLine = false;
                foreach (var statement in statements)
                {
                    if (releases.Contains(statement))
                    {
                        blankLine |= StartsWithBlankLine(statement);
                        continue;
                    }

                    kept.Add(blankLine ? WithBlankLineBefore(statement) : statement);
                    blankLine = false;
                }

                return kept;
            }

            private static bool StartsWithBlankLine(StatementSyntax statement)
                => statement.GetLeadingTrivia().SkipWhile(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).FirstOrDefault().IsKind(SyntaxKind.EndOfLineTrivia);

            private StatementSyntax WithBlankLineBefore(StatementSyntax statement)
                => StartsWithBlankLine(statement) ? statement : statement.WithLeadingTrivia(statement.GetLeadingTrivia().Insert(0, _endOfLine));

            private static BlockSyntax Body(List<StatementSyntax> region)
            {
                var statements = new List<StatementSyntax>(region);
                statements[0] = statements[0].WithLeadingTrivia(WithoutLeadingBlankLines(statements[0].GetLeadingTrivia()));
                return Block(statements);
            }

            private static SyntaxTriviaList WithoutLeadingBlankLines(SyntaxTriviaList trivia)
            {
                var skip = 0;
                while (skip < trivia.Count && trivia[skip].Kind() is SyntaxKind.WhitespaceTrivia or SyntaxKind.EndOfLineTrivia)
                {
                    skip++;
                }

                return TriviaList(trivia.Skip(skip));
            }

            private StatementSyntax ReleaseStatement(bool guarded)
            {
                var release = ExpressionStatement(InvocationExpression(MemberAccessExpression(
                    SyntaxKind.SimpleMemberAccessExpression,
                    _receiver ?? IdentifierName(_holderName.WithoutTrivia()),
                    IdentifierName(ReleaseName))));
                if (!guarded)
                {
                    return release;
                }

                var isAllocated = MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, IdentifierName(_holderName.WithoutTrivia()), IdentifierName(_kind.AllocatedGuard!));
                return IfStatement(isAllocated, Block(release));
            }

            /// <summary>Every reference to the handle's holder in <paramref name="nodes"/>.</summary>
            private IEnumerable<IdentifierNameSyntax> References(IEnumerable<SyntaxNode> nodes)
            {
                var name = _holder.Name;
                foreach (var node in nodes)
                {
                    foreach (var identifier in node.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>())
                    {
                        if (identifier.Identifier.ValueText == name
                            && SymbolEqualityComparer.Default.Equals(_model.GetSymbolInfo(identifier, _cancellationToken).Symbol, _holder))
                        {
                            yield return identifier;
                        }
                    }
                }
            }

            private bool Refers(ExpressionSyntax expression)
                => _receiver is not null
                    ? SyntaxFactory.AreEquivalent(expression, _receiver) && ReceiverRoot(expression) is { } root
                      && SymbolEqualityComparer.Default.Equals(_model.GetSymbolInfo(root, _cancellationToken).Symbol, _holder)
                    : expression is IdentifierNameSyntax identifier
                    && identifier.Identifier.ValueText == _holder.Name
                    && SymbolEqualityComparer.Default.Equals(_model.GetSymbolInfo(identifier, _cancellationToken).Symbol, _holder);

            /// <summary><c>view</c> for <c>view</c>, <c>view.SafeMemoryMappedViewHandle</c> and the like: a chain of member accesses on a variable.</summary>
            private static IdentifierNameSyntax? ReceiverRoot(ExpressionSyntax receiver)
            {
                while (receiver is MemberAccessExpressionSyntax { RawKind: (int)SyntaxKind.SimpleMemberAccessExpression } access)
                {
                    receiver = access.Expression;
                }

                return receiver as IdentifierNameSyntax;
            }

            private Use Classify(IdentifierNameSyntax identifier)
            {
                if (_receiver is not null)
                {
                    // The receiver's variable: a release call on the same receiver, a reassignment, or a read.
                    if (identifier.Parent is AssignmentExpressionSyntax assignment && assignment.Left == identifier
                        || identifier.Parent is ArgumentSyntax argument && !argument.RefKindKeyword.IsKind(SyntaxKind.None))
                    {
                        return Use.Assignment;
                    }

                    var top = identifier.Ancestors().OfType<ExpressionSyntax>().TakeWhile(e => e is MemberAccessExpressionSyntax or InvocationExpressionSyntax).LastOrDefault();
                    return top is InvocationExpressionSyntax { ArgumentList.Arguments.Count: 0, Expression: MemberAccessExpressionSyntax release }
                           && release.Name.Identifier.ValueText == ReleaseName && Refers(release.Expression)
                        ? Use.Release
                        : Use.Read;
                }

                switch (identifier.Parent)
                {
                    case AssignmentExpressionSyntax assignment when assignment.Left == identifier && assignment.IsKind(SyntaxKind.SimpleAssignmentExpression):
                        return Use.Assignment;

                    case MemberAccessExpressionSyntax access when access.Expression == identifier && access.IsKind(SyntaxKind.SimpleMemberAccessExpression):
                        var member = access.Name.Identifier.ValueText;
                        if (access.Parent is InvocationExpressionSyntax invocation && invocation.Expression == access)
                        {
                            if (member == ReleaseName)
                            {
                                return invocation.ArgumentList.Arguments.Count == 0 ? Use.Release : Use.Other;
                            }

                            return _kind.ReadsMethod(member, _model.GetSymbolInfo(access, _cancellationToken).Symbol) ? Use.Read : Use.Other;
                        }

                        if (!_kind.ReadsProperty(member, _model.GetSymbolInfo(access, _cancellationToken).Symbol))
                        {
                            return Use.Other;
                        }

                        return access.Parent switch
                        {
                            AssignmentExpressionSyntax assignment when assignment.Left == access => _kind.WritableProperties.Contains(member) ? Use.Write : Use.Other,
                            PrefixUnaryExpressionSyntax or PostfixUnaryExpressionSyntax or RefExpressionSyntax => Use.Other,
                            ArgumentSyntax argument when !argument.RefKindKeyword.IsKind(SyntaxKind.None) => Use.Other,
                            _ => Use.Read,
                        };

                    default:
                        return Use.Other;
                }
            }

            /// <summary><c>h.Free();</c> or <c>if (h.IsAllocated) h.Free();</c> (braced or not, no else).</summary>
            private bool IsReleaseStatement(StatementSyntax statement)
            {
                switch (statement)
                {
                    case ExpressionStatementSyntax { Expression: InvocationExpressionSyntax invocation }:
                        return invocation.ArgumentList.Arguments.Count == 0
                            && invocation.Expression is MemberAccessExpressionSyntax { Expression: var receiver, Name.Identifier.ValueText: var name } access
                            && access.IsKind(SyntaxKind.SimpleMemberAccessExpression)
                            && name == ReleaseName
                            && Refers(receiver);

                    case IfStatementSyntax { Else: null, Condition: MemberAccessExpressionSyntax condition } guarded
                        when _kind.AllocatedGuard is { } guard && condition.Name.Identifier.ValueText == guard && Refers(condition.Expression):
                        var body = guarded.Statement is BlockSyntax { Statements.Count: 1 } single ? single.Statements[0] : guarded.Statement;
                        return body is not BlockSyntax && body is not IfStatementSyntax && IsReleaseStatement(body);

                    default:
                        return false;
                }
            }

            /// <summary>
            /// For a handle assigned to a local declared earlier: the uses outside this block must stay right once the
            /// handle is freed (and zeroed) at the end of the try — a read of <c>IsAllocated</c>, a guarded release,
            /// a new assignment. A plain <c>Free()</c> there would free twice.
            /// </summary>
            private bool OutsideUsesAreSafe(StatementSyntax pinStatement, BlockSyntax block)
            {
                SyntaxNode scope = pinStatement.Ancestors().FirstOrDefault(a => a is MemberDeclarationSyntax and not GlobalStatementSyntax)
                    ?? pinStatement.SyntaxTree.GetRoot(_cancellationToken);
                var inside = Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(pinStatement.SpanStart, block.Statements.Last().Span.End);
                foreach (var identifier in References(new[] { scope }))
                {
                    if (inside.Contains(identifier.Span))
                    {
                        continue;
                    }

                    if (identifier.Ancestors().Any(a => a is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax))
                    {
                        return false;
                    }

                    var safe = Classify(identifier) switch
                    {
                        Use.Assignment => true,
                        Use.Read => _kind.AllocatedGuard is { } guard && identifier.Parent is MemberAccessExpressionSyntax access && access.Name.Identifier.ValueText == guard,
                        Use.Release => identifier.Ancestors().OfType<IfStatementSyntax>().FirstOrDefault() is { } guard && IsReleaseStatement(guard),
                        _ => false,
                    };

                    if (!safe)
                    {
                        return false;
                    }
                }

                return true;
            }

            /// <summary>True when <paramref name="users"/> refer to a local or local function declared in <paramref name="declarers"/>.</summary>
            private bool UsesDeclarationsOf(IReadOnlyList<StatementSyntax> users, IReadOnlyList<StatementSyntax> declarers)
            {
                if (declarers.Count == 0)
                {
                    return false;
                }

                var span = Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(declarers[0].SpanStart, declarers[declarers.Count - 1].Span.End);
                foreach (var user in users)
                {
                    foreach (var identifier in user.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>())
                    {
                        var symbol = _model.GetSymbolInfo(identifier, _cancellationToken).Symbol;
                        if (symbol is ILocalSymbol or IMethodSymbol { MethodKind: MethodKind.LocalFunction } or IRangeVariableSymbol
                            && symbol.DeclaringSyntaxReferences.Any(r => r.SyntaxTree == user.SyntaxTree && span.Contains(r.Span)))
                        {
                            return true;
                        }
                    }
                }

                return false;
            }

            /// <summary>The local functions that end the region and can live outside the try (they use nothing declared in it).</summary>
            private List<StatementSyntax> TrailingLocalFunctions(List<StatementSyntax> region)
            {
                var start = region.Count;
                while (start > 0 && region[start - 1] is LocalFunctionStatementSyntax)
                {
                    start--;
                }

                if (start == region.Count || start == 0)
                {
                    return new List<StatementSyntax>();
                }

                var functions = region.Skip(start).ToList();
                return UsesDeclarationsOf(functions, region.Take(start).ToList()) ? new List<StatementSyntax>() : functions;
            }

            /// <summary>A local function that moves into the try must not be called from before the pin.</summary>
            private bool DeclarationsUsedOutside(List<StatementSyntax> region, BlockSyntax block, StatementSyntax pinStatement)
            {
                var before = block.Statements.TakeWhile(s => s != pinStatement).Append(pinStatement).ToList();
                return region.Any(s => s is LocalFunctionStatementSyntax) && UsesDeclarationsOf(before, region);
            }
        }
    }
}
