using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using PinAnalyzers.Flow;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace PinAnalyzers.CodeFixes
{
    /// <summary>
    /// PIN1004 "Pin the variable, not a boxed copy": <c>GCHandle.Alloc(value, Pinned)</c> of a struct pins a box, so
    /// the native side reads and writes a copy. For a local (or a by-value parameter), which never moves, the handle
    /// goes away and <c>AddrOfPinnedObject()</c> becomes <c>(nint)(&amp;local)</c>; for a field, the handle's uses move
    /// into a <c>fixed</c> over <c>&amp;field</c>. The <c>Free</c> calls go away, and a <c>try</c> left with an empty
    /// <c>finally</c> is unwrapped. See docs/rules/PIN1004.md.
    /// </summary>
    /// <remarks>
    /// Offered only when the handle is a local declared by the pin, every use of it is <c>AddrOfPinnedObject()</c>
    /// or a <c>Free()</c> statement, every address it gives is used only as a call argument or dereferenced in the
    /// method (never stored, returned or captured: a stack address must not outlive the method), the value is an
    /// unmanaged struct (not <c>Nullable&lt;T&gt;</c>, whose box holds the bare value), the local is not captured by
    /// a lambda (a captured local lives on the heap), the method is neither async nor an iterator, and the code is in
    /// an unsafe context or the project allows unsafe code (then the method gets <c>unsafe</c>).
    /// </remarks>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PinTheVariableCodeFix)), Shared]
    public sealed class PinTheVariableCodeFix : CodeFixProvider
    {
        public const string EquivalenceKey = "PIN1004.PinTheVariable";

        private const string Title = "Pin the variable, not a boxed copy";

        private static readonly FixAllProvider s_fixAll = PinFixes.CreateFixAll(RewriteAsync);

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.PIN1004PinnedValueTypeIsBoxedCopy.Id);

        public override FixAllProvider GetFixAllProvider() => s_fixAll;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            foreach (var diagnostic in context.Diagnostics)
            {
                var fixedDocument = await PinFixes.FixOneAsync(context.Document, diagnostic.Location.SourceSpan, RewriteAsync, context.CancellationToken).ConfigureAwait(false);
                if (fixedDocument is not null)
                {
                    context.RegisterCodeFix(CodeAction.Create(Title, _ => Task.FromResult(fixedDocument), EquivalenceKey), diagnostic);
                }
            }
        }

        private static async Task<SyntaxNode?> RewriteAsync(Document document, SyntaxNode root, ExpressionSyntax pin, CancellationToken cancellationToken)
        {
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (model is null || PinApis.Create(model.Compilation) is not { } apis
                || model.GetOperation(pin, cancellationToken) is not { } operation
                || HandlePinSites.Find(operation, apis) is not { Kind: PinKind.GCHandle, Target: IConversionOperation { Operand: var boxed } conversion }
                || conversion.Type?.IsReferenceType != true
                || boxed.Type is not { IsValueType: true, IsUnmanagedType: true } valueType
                || valueType.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T)
            {
                return null;
            }

            // var handle = GCHandle.Alloc(value, GCHandleType.Pinned); alone in its statement, in a block.
            if (PinFixes.WalkUpParentheses(pin).Parent is not EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator }
                || declarator.Parent is not VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax declaration }
                || !declaration.UsingKeyword.IsKind(SyntaxKind.None)
                || declaration.Parent is not BlockSyntax block
                || model.GetDeclaredSymbol(declarator, cancellationToken) is not ILocalSymbol handle
                || !apis.IsGCHandle(handle.Type))
            {
                return null;
            }

            var member = block.Ancestors().FirstOrDefault(a => a is BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax or AccessorDeclarationSyntax or AnonymousFunctionExpressionSyntax);
            if (member is not (BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax)
                || model.GetDeclaredSymbol(member, cancellationToken) is not IMethodSymbol { IsAsync: false } method
                || member.DescendantNodes().Any(n => n is YieldStatementSyntax))
            {
                return null;
            }

            var uses = HandleUses(member, handle, model, cancellationToken);
            if (uses is null)
            {
                return null;
            }

            var unsafeContext = InUnsafeContext(block);
            if (!unsafeContext && model.Compilation.Options is not CSharpCompilationOptions { AllowUnsafe: true })
            {
                return null;
            }

            var languageVersion = PinFixes.LanguageVersionOf(block);
            switch (boxed.WalkDownConversions())
            {
                case ILocalReferenceOperation { Local: { IsRef: false, IsConst: false, IsFixed: false } local } when IsPlainLocal(local, cancellationToken)
                    && !Captured(member, local, model, cancellationToken):
                    return RewriteForVariable(root, member, declaration, uses, local.Name, languageVersion, unsafeContext);

                case IParameterReferenceOperation { Parameter: { RefKind: RefKind.None } parameter } when !Captured(member, parameter, model, cancellationToken):
                    return RewriteForVariable(root, member, declaration, uses, parameter.Name, languageVersion, unsafeContext);

                case IFieldReferenceOperation { Field: { IsReadOnly: false, IsConst: false, IsFixedSizeBuffer: false } field, Syntax: ExpressionSyntax fieldSyntax } fieldReference
                    when !InAFixedVariable(fieldReference):
                    return RewriteForField(root, model, member, block, declaration, handle, uses, field, valueType, fieldSyntax, languageVersion, unsafeContext, cancellationToken);

                default:
                    return null;
            }
        }

        private sealed class Uses
        {
            internal List<InvocationExpressionSyntax> Addresses { get; } = new();

            internal List<StatementSyntax> Releases { get; } = new();
        }

        /// <summary>Every use of the handle in the method, when each is an address read kept in calls or a Free statement; else null.</summary>
        private static Uses? HandleUses(SyntaxNode member, ILocalSymbol handle, SemanticModel model, CancellationToken cancellationToken)
        {
            var uses = new Uses();
            foreach (var identifier in member.DescendantNodes().OfType<IdentifierNameSyntax>())
            {
                if (identifier.Identifier.ValueText != handle.Name
                    || !SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(identifier, cancellationToken).Symbol, handle))
                {
                    continue;
                }

                if (identifier.Ancestors().TakeWhile(a => a != member).Any(a => a is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax))
                {
                    return null;
                }

                if (identifier.Parent is not MemberAccessExpressionSyntax { RawKind: (int)SyntaxKind.SimpleMemberAccessExpression } access || access.Expression != identifier)
                {
                    return null;
                }

                switch (access.Name.Identifier.ValueText)
                {
                    case "AddrOfPinnedObject" when access.Parent is InvocationExpressionSyntax { ArgumentList.Arguments.Count: 0 } address
                        && AddressStaysInTheMethod(address, model, cancellationToken):
                        uses.Addresses.Add(address);
                        break;

                    case "Free" when access.Parent is InvocationExpressionSyntax { ArgumentList.Arguments.Count: 0, Parent: ExpressionStatementSyntax free }:
                        // h.Free(); or if (h.IsAllocated) h.Free();
                        uses.Releases.Add(GuardOf(free, handle, model, cancellationToken) ?? (StatementSyntax)free);
                        break;

                    case "IsAllocated" when access.Parent is IfStatementSyntax guard && GuardOf(guard, handle, model, cancellationToken) is not null:
                        break;

                    default:
                        return null;
                }
            }

            return uses;
        }

        /// <summary>The <c>if (h.IsAllocated)</c> around a lone <c>h.Free();</c>, or the guard itself when given one.</summary>
        private static IfStatementSyntax? GuardOf(StatementSyntax statement, ILocalSymbol handle, SemanticModel model, CancellationToken cancellationToken)
        {
            var guard = statement as IfStatementSyntax
                ?? (statement.Parent as IfStatementSyntax)
                ?? (statement.Parent is BlockSyntax { Statements.Count: 1, Parent: IfStatementSyntax inBlock } ? inBlock : null);
            if (guard is not { Else: null, Condition: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "IsAllocated", Expression: IdentifierNameSyntax receiver } }
                || !SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(receiver, cancellationToken).Symbol, handle))
            {
                return null;
            }

            var body = guard.Statement is BlockSyntax { Statements.Count: 1 } single ? single.Statements[0] : guard.Statement;
            return body is ExpressionStatementSyntax { Expression: InvocationExpressionSyntax { ArgumentList.Arguments.Count: 0, Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Free" } } }
                ? guard
                : null;
        }

        /// <summary>
        /// The address is passed to a call (directly, cast or offset) or kept in a local that is only passed to calls or
        /// dereferenced: it cannot outlive the method, which matters once it is a stack address.
        /// </summary>
        private static bool AddressStaysInTheMethod(ExpressionSyntax address, SemanticModel model, CancellationToken cancellationToken)
        {
            var value = Outermost(address);
            if (IsCallArgument(value))
            {
                return true;
            }

            if (value.Parent is not EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator }
                || declarator.Parent is not VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax { Parent: BlockSyntax block } }
                || model.GetDeclaredSymbol(declarator, cancellationToken) is not ILocalSymbol local)
            {
                return false;
            }

            foreach (var identifier in block.DescendantNodes().OfType<IdentifierNameSyntax>())
            {
                if (identifier.Identifier.ValueText != local.Name || !SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(identifier, cancellationToken).Symbol, local))
                {
                    continue;
                }

                if (identifier.Ancestors().Any(a => a is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax))
                {
                    return false;
                }

                var use = Outermost(identifier);
                var dereferenced = use.Parent is ElementAccessExpressionSyntax element && element.Expression == use
                    || use.Parent is PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PointerIndirectionExpression }
                    || use.Parent is MemberAccessExpressionSyntax { RawKind: (int)SyntaxKind.PointerMemberAccessExpression } arrow && arrow.Expression == use;
                if (!dereferenced && !IsCallArgument(use))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>Up through parentheses, casts and pointer offsets (<c>p + n</c>).</summary>
        private static ExpressionSyntax Outermost(ExpressionSyntax expression)
        {
            while (expression.Parent is ParenthesizedExpressionSyntax or CastExpressionSyntax
                   || expression.Parent is BinaryExpressionSyntax { RawKind: (int)SyntaxKind.AddExpression or (int)SyntaxKind.SubtractExpression } binary && binary.Left == expression)
            {
                expression = (ExpressionSyntax)expression.Parent!;
            }

            return expression;
        }

        private static bool IsCallArgument(ExpressionSyntax value)
            => value.Parent is ArgumentSyntax { RefKindKeyword.RawKind: (int)SyntaxKind.None, Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax } };

        private static bool IsPlainLocal(ILocalSymbol local, CancellationToken cancellationToken)
            => local.DeclaringSyntaxReferences.Length == 1
               && local.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is VariableDeclaratorSyntax
               {
                   Parent: VariableDeclarationSyntax { Parent: LocalDeclarationStatementSyntax { UsingKeyword.RawKind: (int)SyntaxKind.None } },
               };

        /// <summary>A variable captured by a lambda or local function lives in a closure object on the heap: it moves.</summary>
        private static bool Captured(SyntaxNode member, ISymbol variable, SemanticModel model, CancellationToken cancellationToken)
            => member.DescendantNodes().OfType<IdentifierNameSyntax>().Any(i =>
                i.Identifier.ValueText == variable.Name
                && i.Ancestors().TakeWhile(a => a != member).Any(a => a is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)
                && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(i, cancellationToken).Symbol, variable));

        /// <summary>
        /// A field of a struct held in a local or a by-value parameter: it does not move, and a <c>fixed</c> over it does
        /// not compile (CS0213). Left alone rather than guessed at.
        /// </summary>
        private static bool InAFixedVariable(IFieldReferenceOperation field)
        {
            var instance = field.Instance;
            while (instance is IFieldReferenceOperation { Type.IsValueType: true } outer)
            {
                instance = outer.Instance;
            }

            return instance is ILocalReferenceOperation { Local.IsRef: false, Type.IsValueType: true }
                or IParameterReferenceOperation { Parameter.RefKind: RefKind.None, Type.IsValueType: true };
        }

        private static bool InUnsafeContext(SyntaxNode node)
            => node.AncestorsAndSelf().Any(a => a is UnsafeStatementSyntax
                || a is MemberDeclarationSyntax m && m.Modifiers.Any(SyntaxKind.UnsafeKeyword)
                || a is LocalFunctionStatementSyntax f && f.Modifiers.Any(SyntaxKind.UnsafeKeyword));

        /// <summary><c>(nint)address</c>: the type <c>AddrOfPinnedObject</c> returned (<c>System.IntPtr</c> before C# 9).</summary>
        private static ExpressionSyntax AsIntPtr(ExpressionSyntax address, LanguageVersion languageVersion)
            => CastExpression(
                languageVersion >= LanguageVersion.CSharp9 ? IdentifierName("nint") : ParseTypeName("System.IntPtr"),
                address);

        private const string AddressKind = "PinAnalyzers.PIN1004.Address";
        private const string ReleaseKind = "PinAnalyzers.PIN1004.Release";
        private const string TryKind = "PinAnalyzers.PIN1004.Try";

        private static SyntaxNode RewriteForVariable(SyntaxNode root, SyntaxNode member, LocalDeclarationStatementSyntax declaration, Uses uses, string name, LanguageVersion languageVersion, bool unsafeContext)
        {
            var address = AsIntPtr(ParenthesizedExpression(PrefixUnaryExpression(SyntaxKind.AddressOfExpression, IdentifierName(name))), languageVersion);
            var newMember = WithoutHandle(Annotate(member, uses, declaration), address);
            if (!unsafeContext)
            {
                newMember = WithUnsafe(newMember);
            }

            return root.ReplaceNode(member, newMember.WithAdditionalAnnotations(Formatter.Annotation));
        }

        private static SyntaxNode? RewriteForField(
            SyntaxNode root, SemanticModel model, SyntaxNode member, BlockSyntax block, LocalDeclarationStatementSyntax declaration, ILocalSymbol handle, Uses uses,
            IFieldSymbol field, ITypeSymbol valueType, ExpressionSyntax fieldSyntax, LanguageVersion languageVersion, bool unsafeContext, CancellationToken cancellationToken)
        {
            var index = block.Statements.IndexOf(declaration);
            if (FixedBlockExtension.End(block, index + 1, handle, model, cancellationToken) is not { } end)
            {
                return null;
            }

            // Every use must move into the fixed body.
            var moved = block.Statements.Skip(index + 1).Take(end - index).ToList();
            if (uses.Addresses.Any(a => !moved.Any(s => s.Span.Contains(a.Span))) || uses.Releases.Any(r => !moved.Any(s => s.Span.Contains(r.Span))))
            {
                return null;
            }

            var position = declaration.SpanStart;
            var baseName = field.Name.TrimStart('_');
            var name = FreshName(model, member, position, baseName.Length > 0 && baseName != field.Name ? baseName : "pinned");
            var address = AsIntPtr(IdentifierName(name), languageVersion);
            var pointerType = ParseTypeName(model.Compilation.CreatePointerTypeSymbol(valueType).ToMinimalDisplayString(model, position));
            var fixedDeclaration = VariableDeclaration(
                pointerType.WithTrailingTrivia(Space),
                SingletonSeparatedList(VariableDeclarator(Identifier(name)).WithInitializer(
                    EqualsValueClause(PrefixUnaryExpression(SyntaxKind.AddressOfExpression, fieldSyntax.WithoutTrivia())))));

            // The annotations keep track of the uses while the statements move.
            var annotated = (BlockSyntax)Annotate(block, uses, null);
            var newBlock = FixedBlockExtension.Splice(annotated, index, index + 1, end, body =>
                FixedStatement(fixedDeclaration, (BlockSyntax)WithoutHandle(Block(body), address))
                    .WithLeadingTrivia(declaration.GetLeadingTrivia())
                    .WithTrailingTrivia(declaration.GetTrailingTrivia())
                    .WithAdditionalAnnotations(Formatter.Annotation));

            var newMember = member.ReplaceNode(block, newBlock);
            if (!unsafeContext)
            {
                newMember = WithUnsafe(newMember);
            }

            return root.ReplaceNode(member, newMember.WithAdditionalAnnotations(Formatter.Annotation));
        }

        /// <summary>Marks the address reads, the releases (and <paramref name="removed"/>), and the <c>try</c> statements whose <c>finally</c> holds a release.</summary>
        private static SyntaxNode Annotate(SyntaxNode node, Uses uses, StatementSyntax? removed)
        {
            var releases = uses.Releases.Concat(removed is null ? Enumerable.Empty<StatementSyntax>() : new[] { removed }).ToList();
            var tries = uses.Releases.Select(r => r.Ancestors().OfType<FinallyClauseSyntax>().FirstOrDefault()?.Parent).OfType<TryStatementSyntax>().Distinct().ToList();
            var kinds = new Dictionary<SyntaxNode, string>();
            foreach (var address in uses.Addresses)
            {
                kinds[address] = AddressKind;
            }

            foreach (var release in releases)
            {
                kinds[release] = ReleaseKind;
            }

            foreach (var tryStatement in tries)
            {
                kinds[tryStatement] = TryKind;
            }

            return node.ReplaceNodes(kinds.Keys, (original, current) => current.WithAdditionalAnnotations(new SyntaxAnnotation(kinds[original])));
        }

        /// <summary>
        /// The address reads replaced by <paramref name="address"/>, the releases gone, and a marked <c>try</c> left with
        /// an empty <c>finally</c> (and no <c>catch</c>) unwrapped into its block.
        /// </summary>
        private static SyntaxNode WithoutHandle(SyntaxNode node, ExpressionSyntax address)
        {
            node = node.ReplaceNodes(node.GetAnnotatedNodes(AddressKind), (_, _) => address.WithAdditionalAnnotations(Formatter.Annotation));
            node = node.RemoveNodes(node.GetAnnotatedNodes(ReleaseKind), SyntaxRemoveOptions.KeepNoTrivia)!;
            while (node.GetAnnotatedNodes(TryKind).OfType<TryStatementSyntax>().FirstOrDefault(t => t.Catches.Count == 0 && t.Finally is { Block.Statements.Count: 0 }) is { } emptied)
            {
                var unwrapped = emptied.WithoutAnnotations(TryKind);
                if (emptied.Parent is BlockSyntax parent && !NamesClash(unwrapped.Block, parent, emptied))
                {
                    var statements = parent.Statements;
                    var at = statements.IndexOf(emptied);
                    var inlined = unwrapped.Block.Statements.Select(s => s.WithAdditionalAnnotations(Formatter.Annotation));
                    node = node.ReplaceNode(parent, parent.WithStatements(List(statements.Take(at).Concat(inlined).Concat(statements.Skip(at + 1)))));
                }
                else
                {
                    node = node.ReplaceNode(emptied, unwrapped.Block);
                }
            }

            return node;
        }

        /// <summary>A local of the try block named like one declared elsewhere in the parent block: inlined, they would clash.</summary>
        private static bool NamesClash(BlockSyntax inner, BlockSyntax parent, SyntaxNode exclude)
        {
            var names = new HashSet<string>(inner.Statements.SelectMany(s => s.DescendantNodesAndSelf()).OfType<VariableDeclaratorSyntax>().Select(d => d.Identifier.ValueText));
            return parent.DescendantNodes(n => n != exclude).Where(n => !exclude.Span.Contains(n.Span))
                .Any(n => n is VariableDeclaratorSyntax d && names.Contains(d.Identifier.ValueText) || n is SingleVariableDesignationSyntax v && names.Contains(v.Identifier.ValueText));
        }

        private static SyntaxNode WithUnsafe(SyntaxNode member)
            => member switch
            {
                BaseMethodDeclarationSyntax method => method.AddModifiers(Token(SyntaxKind.UnsafeKeyword)),
                LocalFunctionStatementSyntax function => function.AddModifiers(Token(SyntaxKind.UnsafeKeyword)),
                _ => member,
            };

        private static string FreshName(SemanticModel model, SyntaxNode member, int position, string name)
        {
            var taken = new HashSet<string>(member.DescendantTokens().Where(t => t.IsKind(SyntaxKind.IdentifierToken)).Select(t => t.ValueText));
            var candidate = name;
            for (var i = 2; taken.Contains(candidate) || !model.LookupSymbols(position, name: candidate).IsEmpty; i++)
            {
                candidate = name + i;
            }

            return candidate;
        }
    }
}
